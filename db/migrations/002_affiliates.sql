-- 002_affiliates: affiliate program (affiliates, the users they referred, and
-- the commissions earned on those users' payments).
-- Commissions point at payment_transactions, a projection; its ids are
-- deterministic (UUIDv5) so the links survive a projection rebuild.

CREATE TABLE public.affiliates (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    -- One affiliate account per user.
    user_id UUID NOT NULL UNIQUE REFERENCES public.users(id) ON DELETE CASCADE,
    referral_code VARCHAR(64) NOT NULL UNIQUE,
    -- Fraction of the payment, 0.2000 = 20 %.
    commission_rate NUMERIC(5,4) NOT NULL DEFAULT 0.2000
        CONSTRAINT affiliates_commission_rate_check CHECK (commission_rate >= 0 AND commission_rate <= 1),
    status VARCHAR(50) NOT NULL DEFAULT 'active'
        CONSTRAINT affiliates_status_check CHECK (status IN ('active','paused','terminated')),
    payout_email VARCHAR(255),
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE TRIGGER affiliates_set_updated_at BEFORE UPDATE ON public.affiliates
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

CREATE TABLE public.referrals (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    affiliate_id UUID NOT NULL REFERENCES public.affiliates(id) ON DELETE CASCADE,
    -- A user can be referred only once (first referral wins).
    referred_user_id UUID NOT NULL UNIQUE REFERENCES public.users(id) ON DELETE CASCADE,
    -- Set on conversion; SET NULL because subscriptions may be rebuilt/removed.
    subscription_id UUID REFERENCES public.subscriptions(id) ON DELETE SET NULL,
    status VARCHAR(50) NOT NULL DEFAULT 'pending'
        CONSTRAINT referrals_status_check CHECK (status IN ('pending','converted','rejected')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    converted_at TIMESTAMPTZ
);

CREATE INDEX idx_referrals_affiliate_id ON public.referrals(affiliate_id);
CREATE INDEX idx_referrals_subscription_id ON public.referrals(subscription_id);

CREATE TABLE public.commissions (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    affiliate_id UUID NOT NULL REFERENCES public.affiliates(id) ON DELETE CASCADE,
    referral_id UUID NOT NULL REFERENCES public.referrals(id) ON DELETE CASCADE,
    -- Kept (as NULL) if the payment row disappears: a paid commission is history.
    payment_transaction_id UUID REFERENCES public.payment_transactions(id) ON DELETE SET NULL,
    amount_cents INTEGER NOT NULL
        CONSTRAINT commissions_amount_cents_check CHECK (amount_cents >= 0),
    currency VARCHAR(3) NOT NULL DEFAULT 'USD',
    status VARCHAR(50) NOT NULL DEFAULT 'pending'
        CONSTRAINT commissions_status_check CHECK (status IN ('pending','approved','paid','reversed')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    paid_at TIMESTAMPTZ,
    -- At most one commission per referral per payment (NULLs stay distinct, so
    -- commissions orphaned by SET NULL do not collide).
    CONSTRAINT commissions_referral_id_payment_transaction_id_key UNIQUE (referral_id, payment_transaction_id)
);

-- referral_id is covered by the leading column of the UNIQUE constraint.
CREATE INDEX idx_commissions_affiliate_id ON public.commissions(affiliate_id);
CREATE INDEX idx_commissions_payment_transaction_id ON public.commissions(payment_transaction_id);
