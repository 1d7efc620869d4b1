-- 010_head_follows_log (down): the head is moved by the appender again (ledger.advance_head, as in 004).
-- A binary newer than 009 appends through ledger.lock_head() and the trigger: roll the binary back too.
DROP FUNCTION ledger.lock_head();
DROP TRIGGER events_advance_head ON ledger.events;
DROP FUNCTION ledger.advance_head_to_newest_event();
DROP TRIGGER head_follows_log ON ledger.head;
DROP FUNCTION ledger.check_head_move();

CREATE FUNCTION ledger.advance_head(new_position BIGINT, new_hash BYTEA) RETURNS void
    LANGUAGE sql
AS $$
    UPDATE ledger.head SET position = new_position, hash = new_hash;
    SELECT pg_notify('ledger_events', new_position::text);
$$;

CREATE FUNCTION ledger.reject_head_rewind() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.position < OLD.position THEN
        RAISE EXCEPTION 'ledger.head cannot move back from % to %', OLD.position, NEW.position
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER head_reject_rewind
    BEFORE UPDATE ON ledger.head
    FOR EACH ROW EXECUTE FUNCTION ledger.reject_head_rewind();
