-- 017_verify_runs: what each `ledger verify` (and the audit console's verify button) found, and when.
--
-- One row per finished run, written after the run by the process that ran it: `origin` says which
-- ('cli' for `ledger verify`, 'console' for the button under /ui/integrity). The row is a record for
-- people (the console's integrity page shows the newest, its inbox the drift it found), never an input
-- to a check: `ledger verify` recomputes everything each time, so a forged row proves nothing and a
-- missing one loses only the record. `trusted_from`..`verified_through` is the range of positions whose
-- hashes were recomputed; `head_position` the head when the run started. `summary` holds the failed
-- sections, the chain failure (position and reason), the digest outcome, the snapshot files' status
-- and the drift count with its first examples (`VerifyRun.Summary`, Sources/LedgerEngine/Audit).
-- The writer needs INSERT on this table (docs/operations.md); a run that cannot record still reports.
CREATE TABLE ledger.verify_runs (
    id               BIGINT GENERATED ALWAYS AS IDENTITY,
    origin           TEXT NOT NULL,
    started_at       TIMESTAMPTZ NOT NULL,
    finished_at      TIMESTAMPTZ NOT NULL,
    trusted_from     BIGINT NOT NULL,
    verified_through BIGINT NOT NULL,
    head_position    BIGINT NOT NULL,
    ok               BOOLEAN NOT NULL,
    drift_rows       BIGINT NOT NULL,
    summary          JSONB NOT NULL,
    CONSTRAINT verify_runs_pkey PRIMARY KEY (id),
    CONSTRAINT verify_runs_origin_check CHECK (origin IN ('cli', 'console')),
    CONSTRAINT verify_runs_times_check CHECK (finished_at >= started_at),
    CONSTRAINT verify_runs_positions_check CHECK (
        trusted_from >= 0 AND verified_through >= trusted_from AND head_position >= 0),
    CONSTRAINT verify_runs_drift_rows_check CHECK (drift_rows >= 0),
    CONSTRAINT verify_runs_summary_check CHECK (jsonb_typeof(summary) = 'object')
);
-- The newest run is the one pages show.
CREATE INDEX verify_runs_finished_at_idx ON ledger.verify_runs (finished_at DESC, id DESC);
