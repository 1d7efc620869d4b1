-- 006_ledger_identity: a random id for this ledger database, so files made from
-- its log (SQLite snapshots) are never mixed with another database's.
--
-- One row, written once. A pg_dump/restore copy keeps the id: it holds the same
-- log, and a snapshot is still checked against the chain hash at its position.
CREATE TABLE ledger.identity (
    singleton BOOLEAN PRIMARY KEY DEFAULT true CHECK (singleton),
    id UUID NOT NULL DEFAULT gen_random_uuid(),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO ledger.identity DEFAULT VALUES;

CREATE FUNCTION ledger.identity_is_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger.identity is written once: % is not allowed', TG_OP
        USING HINT = 'snapshot files are named and checked by this id';
END;
$$;
CREATE TRIGGER identity_is_immutable
    BEFORE UPDATE OR DELETE ON ledger.identity
    FOR EACH ROW EXECUTE FUNCTION ledger.identity_is_immutable();
