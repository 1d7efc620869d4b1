-- 009_consumers: durable cursors of the analytics feed (`ledger consume`).
--
-- One row per consumer group. `position` is the cursor: every event at or
-- below it is acknowledged (processed by the group). `delivered` is the lease:
-- the highest position ever handed to the group; an acknowledgement may not go
-- past it (a job can only have processed what it was given). A consume starts
-- again after the cursor, so events delivered but not acknowledged are
-- delivered again (at least once). The cursor only moves forward, except by an
-- explicit `--reset-to`, which also pulls the lease back to it.
--
-- (008 is taken by the MRR analytics migration on another branch; the numbers
-- need not be contiguous.)
CREATE TABLE ledger.consumers (
    group_name   TEXT NOT NULL,
    position     BIGINT NOT NULL DEFAULT 0,
    delivered    BIGINT NOT NULL DEFAULT 0,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- The last consume, ack or reset.
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    delivered_at TIMESTAMPTZ,
    acked_at     TIMESTAMPTZ,
    CONSTRAINT consumers_pkey PRIMARY KEY (group_name),
    -- As `ledger consume` validates it (Limits.consumerGroupNameBytesMax).
    CONSTRAINT consumers_group_name_check CHECK (group_name ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    CONSTRAINT consumers_position_check CHECK (position >= 0),
    CONSTRAINT consumers_lease_check CHECK (delivered >= position)
);
