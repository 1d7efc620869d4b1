-- 015_sync_cursors: where `ledger sync events` stands, so a run killed at any moment resumes without gaps.
--
-- One row per sync (`name`, today only 'events'). `created_through` is Stripe's clock in Unix seconds:
-- every Stripe event created before that second has been appended (or was already in the log). The
-- next run lists from that second inclusive (`created[gte]`), so events of the same second that were
-- listed late are not missed; the log's dedupe by `evt_` id answers the overlap as duplicates. The
-- cursor only moves forward, and only after the events it covers are committed: a kill between the
-- append and the cursor update re-lists a window whose events are all duplicates.
--
-- `account` is the connected account the cursor belongs to ('' for the platform's own): one ledger
-- syncs one account (`--account` of another one is refused), so ids of different accounts never meet
-- in one log. `mode` is the key's mode (live or test) when the cursor was created.
CREATE TABLE ledger.sync_cursors (
    name            TEXT NOT NULL,
    account         TEXT NOT NULL,
    mode            TEXT NOT NULL,
    created_through BIGINT NOT NULL,
    events_appended BIGINT NOT NULL DEFAULT 0,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT sync_cursors_pkey PRIMARY KEY (name),
    CONSTRAINT sync_cursors_name_check CHECK (name ~ '^[a-z][a-z_]{0,31}$'),
    CONSTRAINT sync_cursors_account_check CHECK (account = '' OR account ~ '^acct_[A-Za-z0-9]{1,64}$'),
    CONSTRAINT sync_cursors_mode_check CHECK (mode IN ('live', 'test')),
    CONSTRAINT sync_cursors_created_through_check CHECK (created_through >= 0),
    CONSTRAINT sync_cursors_events_appended_check CHECK (events_appended >= 0)
);
