-- 006_ledger_identity (down): removes the database identity (snapshot files named by it become unusable).
DROP TABLE ledger.identity;
DROP FUNCTION ledger.identity_is_immutable();
