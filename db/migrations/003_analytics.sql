-- 003_analytics: MRR analytics (ChartMogul-style movements and daily totals).
--
-- Every row here is DERIVED: the MRR projector rebuilds these tables from the
-- ledger log (ledger.events) and never edits a row by hand. That is why rows
-- key on Stripe ids rather than foreign keys to subscriptions: a projection
-- rebuild must not cascade into (or be blocked by) analytics rows.
--
-- Sign convention: amounts are signed changes of MRR, in minor units.
--   new, expansion, reactivation  > 0
--   contraction, churn            < 0
-- and amount_cents = mrr_after_cents - mrr_before_cents on every movement.

-- One row per MRR change of one subscription.
CREATE TABLE public.mrr_movements (
    id BIGSERIAL PRIMARY KEY,
    stripe_subscription_id VARCHAR(255) NOT NULL,
    stripe_customer_id VARCHAR(255),
    day DATE NOT NULL,
    kind VARCHAR(20) NOT NULL
        CONSTRAINT mrr_movements_kind_check CHECK (kind IN ('new','expansion','contraction','churn','reactivation')),
    -- ISO 4217, upper-case like the projections.
    currency VARCHAR(3) NOT NULL
        CONSTRAINT mrr_movements_currency_check CHECK (currency ~ '^[A-Z]{3}$'),
    amount_cents BIGINT NOT NULL,
    mrr_before_cents BIGINT NOT NULL
        CONSTRAINT mrr_movements_mrr_before_cents_check CHECK (mrr_before_cents >= 0),
    mrr_after_cents BIGINT NOT NULL
        CONSTRAINT mrr_movements_mrr_after_cents_check CHECK (mrr_after_cents >= 0),
    -- Position in ledger.events of the event that caused this movement.
    source_position BIGINT NOT NULL,
    CONSTRAINT mrr_movements_amount_sign_check CHECK (
        (kind IN ('new','expansion','reactivation') AND amount_cents > 0)
        OR (kind IN ('contraction','churn') AND amount_cents < 0)
    ),
    CONSTRAINT mrr_movements_amount_delta_check CHECK (amount_cents = mrr_after_cents - mrr_before_cents),
    -- Makes re-projection of the same event idempotent.
    CONSTRAINT mrr_movements_subscription_day_kind_position_key UNIQUE (stripe_subscription_id, day, kind, source_position)
);

CREATE INDEX idx_mrr_movements_day ON public.mrr_movements(day);
CREATE INDEX idx_mrr_movements_stripe_customer_id ON public.mrr_movements(stripe_customer_id);

-- Daily totals per currency (no FX conversion here). The *_cents columns are
-- the sums of that day's movements of that kind, so they follow the same
-- sign convention: contraction_cents and churn_cents are <= 0.
CREATE TABLE public.mrr_daily (
    day DATE NOT NULL,
    currency VARCHAR(3) NOT NULL
        CONSTRAINT mrr_daily_currency_check CHECK (currency ~ '^[A-Z]{3}$'),
    -- MRR at the end of the day.
    mrr_cents BIGINT NOT NULL
        CONSTRAINT mrr_daily_mrr_cents_check CHECK (mrr_cents >= 0),
    active_customers INTEGER NOT NULL
        CONSTRAINT mrr_daily_active_customers_check CHECK (active_customers >= 0),
    new_cents BIGINT NOT NULL DEFAULT 0
        CONSTRAINT mrr_daily_new_cents_check CHECK (new_cents >= 0),
    expansion_cents BIGINT NOT NULL DEFAULT 0
        CONSTRAINT mrr_daily_expansion_cents_check CHECK (expansion_cents >= 0),
    contraction_cents BIGINT NOT NULL DEFAULT 0
        CONSTRAINT mrr_daily_contraction_cents_check CHECK (contraction_cents <= 0),
    churn_cents BIGINT NOT NULL DEFAULT 0
        CONSTRAINT mrr_daily_churn_cents_check CHECK (churn_cents <= 0),
    reactivation_cents BIGINT NOT NULL DEFAULT 0
        CONSTRAINT mrr_daily_reactivation_cents_check CHECK (reactivation_cents >= 0),
    PRIMARY KEY (day, currency)
);
