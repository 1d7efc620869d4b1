-- 012_licenses_notify: a change to licenses wakes the live projector, so a subscription parked for its
-- missing license becomes a row within seconds of the license's insert (issue 15 point 5).
--
-- * After every statement that inserts or updates licenses, a trigger notifies `ledger_licenses` once
--   (per statement, not per row: a bulk load wakes the projector once) when the transaction commits.
--   `ledger serve`'s projector LISTENs on it and rechecks its parked subscriptions, as `ledger project`
--   does on every run. The payload is empty: the projector asks licenses itself.
-- * Rows loaded without triggers (logical replication applies with session_replication_role = replica)
--   notify nothing; the projector also rechecks on a bounded poll (Limits.parkedRecheckSecondsMax).
-- * pg_notify needs no privilege, so whichever role the application edits licenses with can fire it.

CREATE FUNCTION ledger.notify_licenses_changed() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM pg_notify('ledger_licenses', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER licenses_notify_ledger
    AFTER INSERT OR UPDATE ON public.licenses
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.notify_licenses_changed();
