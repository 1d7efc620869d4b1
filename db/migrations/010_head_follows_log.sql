-- 010_head_follows_log: the head is the newest stored event, for every role, enforced by the database.
--
-- Before this migration any role that could append could also call
-- ledger.advance_head(99999999, …) or UPDATE ledger.head directly, and the next
-- append landed at position 100,000,000: positions were gapless only as long as
-- every appender was honest. Now:
--
-- * ledger.head moves from P to Q only if Q is the newest stored event, every
--   position P+1…Q is stored (counted over the primary key range the append just
--   wrote, never a scan of the log), and the new hash is the one stored at Q.
--   This holds for the owner and superusers too; only disabling the trigger
--   (owner or superuser, and `ledger verify` still sees the result) gets past it.
--   Measured at 270k events: ~2.5 ms for a 5,000-event COPY (~2 % of it), ~0.1 ms
--   for a one-event append; end-to-end ingest and group commit within noise.
-- * The head follows the log by itself: after every INSERT/COPY statement into
--   ledger.events a trigger moves it to the newest stored event and notifies
--   `ledger_events`. So an event inserted far beyond the head (or leaving a gap)
--   fails its own statement, and no event can be committed above the head.
-- * ledger.advance_head(position, hash), which moved the head to any arguments,
--   is gone. Appenders take the append lock with ledger.lock_head(), which only
--   locks and reads the head, so they need no UPDATE privilege on ledger.head.
--
-- No roles are created here: roles are cluster-wide and the owner that migrates
-- needs no CREATEROLE. docs/operations.md gives the roles and their GRANTs.

DROP FUNCTION ledger.advance_head(BIGINT, BYTEA);
DROP TRIGGER head_reject_rewind ON ledger.head;
DROP FUNCTION ledger.reject_head_rewind();

-- Any change of ledger.head must describe the log as stored: it only moves
-- forward, over stored events only, to the newest one, with that event's hash.
CREATE FUNCTION ledger.check_head_move() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    stored_events   BIGINT;
    newest_position BIGINT;
    stored_hash     BYTEA;
BEGIN
    IF NEW.position = OLD.position THEN
        IF NEW.hash IS DISTINCT FROM OLD.hash THEN
            RAISE EXCEPTION 'ledger.head: the chain hash at position % cannot change', OLD.position
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.position < OLD.position THEN
        RAISE EXCEPTION 'ledger.head cannot move back from % to %', OLD.position, NEW.position
            USING ERRCODE = 'restrict_violation';
    END IF;
    -- An index range scan of the positions the append just wrote.
    SELECT count(*) INTO stored_events
      FROM ledger.events WHERE position > OLD.position AND position <= NEW.position;
    IF stored_events <> NEW.position - OLD.position THEN
        RAISE EXCEPTION 'ledger.head cannot move from % to %: only % of the % events between are stored',
            OLD.position, NEW.position, stored_events, NEW.position - OLD.position
            USING ERRCODE = 'restrict_violation',
                  HINT = 'positions are gapless: append the next event at the head position + 1';
    END IF;
    -- max(), never `EXISTS (… WHERE position > $1)`: PL/pgSQL caches a generic plan, and the generic
    -- plan of that is a sequential scan of the whole log (measured: 100 ms per append at 270k events).
    SELECT max(position) INTO newest_position FROM ledger.events;
    IF newest_position <> NEW.position THEN
        RAISE EXCEPTION 'ledger.head cannot move to %: the newest stored event is at %', NEW.position, newest_position
            USING ERRCODE = 'restrict_violation';
    END IF;
    SELECT hash INTO stored_hash FROM ledger.events WHERE position = NEW.position;
    IF stored_hash IS DISTINCT FROM NEW.hash THEN
        RAISE EXCEPTION 'ledger.head at % must carry the chain hash stored with that event', NEW.position
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER head_follows_log
    BEFORE UPDATE ON ledger.head
    FOR EACH ROW EXECUTE FUNCTION ledger.check_head_move();

-- After every statement that inserts events, the head moves to the newest
-- stored event (checked by head_follows_log) and listeners hear of it once the
-- transaction commits. SECURITY DEFINER: appenders write ledger.head only
-- through this trigger, never directly.
CREATE FUNCTION ledger.advance_head_to_newest_event() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    newest_position BIGINT;
    newest_hash     BYTEA;
BEGIN
    SELECT position, hash INTO newest_position, newest_hash
      FROM ledger.events ORDER BY position DESC LIMIT 1;
    IF newest_position IS NULL THEN
        RETURN NULL;
    END IF;
    UPDATE ledger.head SET position = newest_position, hash = newest_hash
     WHERE position IS DISTINCT FROM newest_position OR hash IS DISTINCT FROM newest_hash;
    IF FOUND THEN
        PERFORM pg_notify('ledger_events', newest_position::text);
    END IF;
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION ledger.advance_head_to_newest_event() FROM PUBLIC;

CREATE TRIGGER events_advance_head
    AFTER INSERT ON ledger.events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger.advance_head_to_newest_event();

-- The append lock: opens nothing, moves nothing; locks the head row until the
-- transaction ends and returns it. SECURITY DEFINER because `FOR UPDATE` needs
-- UPDATE privilege, which appenders do not get. Not for PUBLIC: holding the
-- lock stops every append.
CREATE FUNCTION ledger.lock_head() RETURNS TABLE ("position" BIGINT, hash BYTEA)
    LANGUAGE sql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
    SELECT h.position, h.hash FROM ledger.head AS h FOR UPDATE
$$;
REVOKE ALL ON FUNCTION ledger.lock_head() FROM PUBLIC;
