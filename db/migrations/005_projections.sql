-- 005_projections: what the projectors need besides their tables.
--
-- * Stripe's own subscription status `paused` joins the CHECK: mapping it to
--   another status would make the projection lie about what Stripe says.
-- * ledger.checkpoints: how far each projection has applied the log, written
--   in the same transaction as its rows (exactly-once effect).
-- * ledger.parked: events that could not become a valid row (no license,
--   invalid value), kept with their position and reason and retried on every
--   run; a parked event never stops a projector and never disappears.

ALTER TABLE public.subscriptions DROP CONSTRAINT subscriptions_status_check;
ALTER TABLE public.subscriptions ADD CONSTRAINT subscriptions_status_check
    CHECK (status IN ('active','past_due','unpaid','canceled','incomplete','incomplete_expired','trialing','paused'));

CREATE TABLE ledger.checkpoints (
    projection        TEXT NOT NULL,
    -- A checkpoint written by another projector version is not reused.
    projector_version INTEGER NOT NULL,
    position          BIGINT NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    CONSTRAINT checkpoints_pkey PRIMARY KEY (projection),
    CONSTRAINT checkpoints_position_check CHECK (position >= 0)
);

CREATE TABLE ledger.parked (
    id         BIGSERIAL NOT NULL,
    projection TEXT NOT NULL,
    -- The event that could not be projected (for a missing license: the subscription's newest event).
    position   BIGINT NOT NULL,
    -- The Stripe object the event is about (sub_…, pi_…), to clear it when a later event applies.
    object_id  TEXT NOT NULL,
    event_type TEXT NOT NULL,
    reason     TEXT NOT NULL,
    -- No foreign key to ledger.events: it would pre-empt the append-only
    -- trigger's message on TRUNCATE, and positions come from the log anyway.
    CONSTRAINT parked_pkey PRIMARY KEY (id)
);
CREATE INDEX parked_object_id_idx ON ledger.parked (projection, object_id);
