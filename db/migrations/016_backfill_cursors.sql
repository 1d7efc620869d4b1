-- 016_backfill_cursors: where `ledger sync backfill` stands in each Stripe resource, so a run killed at any
-- moment resumes without gaps or duplicates.
--
-- One row per resource (`subscriptions`, `invoices`, …). A pass lists the resource from its first page
-- (Stripe lists newest first) and appends one observation per object; `starting_after` is the last object
-- whose observation is committed, so a resumed pass lists after it. The cursor moves only after the page's
-- append committed: a kill in between lists the page again, and the observations are duplicates (their ids
-- derive from the object's bytes). `completed_at` is set (Stripe's clock, Unix seconds) when a pass reaches
-- the last page; the next run starts a new pass, which records only objects whose bytes changed.
--
-- `account` and `mode` are checked as in `ledger.sync_cursors`: one ledger holds one Stripe account.
CREATE TABLE ledger.backfill_cursors (
    resource              TEXT NOT NULL,
    account               TEXT NOT NULL,
    mode                  TEXT NOT NULL,
    pass_started_at       BIGINT NOT NULL,
    starting_after        TEXT,
    completed_at          BIGINT,
    objects_listed        BIGINT NOT NULL DEFAULT 0,
    observations_appended BIGINT NOT NULL DEFAULT 0,
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT backfill_cursors_pkey PRIMARY KEY (resource),
    CONSTRAINT backfill_cursors_resource_check
        CHECK (resource IN ('subscriptions', 'invoices', 'payment_intents', 'charges', 'refunds', 'disputes')),
    CONSTRAINT backfill_cursors_account_check CHECK (account = '' OR account ~ '^acct_[A-Za-z0-9]{1,64}$'),
    CONSTRAINT backfill_cursors_mode_check CHECK (mode IN ('live', 'test')),
    CONSTRAINT backfill_cursors_times_check CHECK (pass_started_at >= 0 AND coalesce(completed_at, 0) >= 0),
    CONSTRAINT backfill_cursors_starting_after_check
        CHECK (starting_after IS NULL OR length(starting_after) BETWEEN 1 AND 255),
    CONSTRAINT backfill_cursors_counts_check CHECK (objects_listed >= 0 AND observations_appended >= 0)
);
