-- 012_licenses_notify (down): licenses no longer notify; the live projector still rechecks parked
-- subscriptions on its bounded poll and whenever an event arrives.
DROP TRIGGER licenses_notify_ledger ON public.licenses;
DROP FUNCTION ledger.notify_licenses_changed();
