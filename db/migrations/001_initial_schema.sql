-- 001_initial_schema: the seed schema of the SaaS app, in schema public.
-- users, licenses, teams, team_members (edited by the app) and
-- subscriptions, payment_transactions (projections rebuilt from ledger.events).
-- CHECK constraints are named explicitly so later migrations can replace them
-- by name (e.g. adding 'paused' to subscriptions_status_check).

CREATE EXTENSION IF NOT EXISTS "uuid-ossp";

-- Keeps updated_at honest for rows the application edits directly.
-- Deliberately NOT attached to subscriptions/payment_transactions: projectors
-- set updated_at from event times so a rebuild reproduces the rows exactly.
CREATE FUNCTION public.set_updated_at() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    NEW.updated_at := NOW();
    RETURN NEW;
END;
$$;

CREATE TABLE public.users (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    email VARCHAR(255) NOT NULL UNIQUE,
    password_hash VARCHAR(255) NOT NULL,
    full_name VARCHAR(255),
    email_verified BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE TABLE public.licenses (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    user_id UUID NOT NULL REFERENCES public.users(id) ON DELETE CASCADE,
    license_key VARCHAR(255) NOT NULL UNIQUE,
    plan_type VARCHAR(50) NOT NULL
        CONSTRAINT licenses_plan_type_check CHECK (plan_type IN ('free','starter','pro','enterprise')),
    status VARCHAR(50) NOT NULL DEFAULT 'active'
        CONSTRAINT licenses_status_check CHECK (status IN ('active','suspended','expired','revoked')),
    max_seats INTEGER NOT NULL DEFAULT 1
        CONSTRAINT licenses_max_seats_check CHECK (max_seats >= 1),
    expires_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE INDEX idx_licenses_user_id ON public.licenses(user_id);

CREATE TABLE public.teams (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    name VARCHAR(255) NOT NULL,
    owner_id UUID NOT NULL REFERENCES public.users(id) ON DELETE CASCADE,
    -- A team outlives its license (it can be re-licensed), hence SET NULL.
    license_id UUID REFERENCES public.licenses(id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

CREATE INDEX idx_teams_owner_id ON public.teams(owner_id);
CREATE INDEX idx_teams_license_id ON public.teams(license_id);

CREATE TABLE public.team_members (
    team_id UUID NOT NULL REFERENCES public.teams(id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES public.users(id) ON DELETE CASCADE,
    role VARCHAR(50) NOT NULL DEFAULT 'member'
        CONSTRAINT team_members_role_check CHECK (role IN ('owner','admin','member')),
    joined_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (team_id, user_id)
);

-- The primary key already serves lookups by team_id; this one serves "teams of a user".
CREATE INDEX idx_team_members_user_id ON public.team_members(user_id);

CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON public.users
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
CREATE TRIGGER licenses_set_updated_at BEFORE UPDATE ON public.licenses
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
CREATE TRIGGER teams_set_updated_at BEFORE UPDATE ON public.teams
    FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();

-- Projection of Stripe subscriptions (rebuilt from the ledger log; no
-- updated_at trigger, see above).
CREATE TABLE public.subscriptions (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    license_id UUID NOT NULL REFERENCES public.licenses(id) ON DELETE CASCADE,
    stripe_subscription_id VARCHAR(255) UNIQUE,
    stripe_customer_id VARCHAR(255),
    status VARCHAR(50) NOT NULL
        CONSTRAINT subscriptions_status_check CHECK (status IN ('active','past_due','unpaid','canceled','incomplete','incomplete_expired','trialing')),
    plan_type VARCHAR(50) NOT NULL
        CONSTRAINT subscriptions_plan_type_check CHECK (plan_type IN ('free','starter','pro','enterprise')),
    billing_cycle VARCHAR(50) NOT NULL
        CONSTRAINT subscriptions_billing_cycle_check CHECK (billing_cycle IN ('monthly','yearly')),
    amount_cents INTEGER NOT NULL
        CONSTRAINT subscriptions_amount_cents_check CHECK (amount_cents >= 0),
    currency VARCHAR(3) NOT NULL DEFAULT 'USD',
    current_period_start TIMESTAMPTZ,
    current_period_end TIMESTAMPTZ,
    cancel_at_period_end BOOLEAN NOT NULL DEFAULT false,
    canceled_at TIMESTAMPTZ,
    trial_start TIMESTAMPTZ,
    trial_end TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    metadata JSONB DEFAULT '{}'
);

CREATE INDEX idx_subscriptions_license_id ON public.subscriptions(license_id);
CREATE INDEX idx_subscriptions_stripe_subscription_id ON subscriptions(stripe_subscription_id);
CREATE INDEX idx_subscriptions_stripe_customer_id ON subscriptions(stripe_customer_id);

-- Projection of Stripe payments. subscription_id stays NULL while the payment's
-- subscription is not projected yet, and on subscription deletion.
CREATE TABLE public.payment_transactions (
    id UUID PRIMARY KEY DEFAULT uuid_generate_v4(),
    subscription_id UUID REFERENCES public.subscriptions(id) ON DELETE SET NULL,
    stripe_payment_intent_id VARCHAR(255) UNIQUE,
    stripe_invoice_id VARCHAR(255),
    amount_cents INTEGER NOT NULL
        CONSTRAINT payment_transactions_amount_cents_check CHECK (amount_cents >= 0),
    currency VARCHAR(3) NOT NULL DEFAULT 'USD',
    status VARCHAR(50) NOT NULL
        CONSTRAINT payment_transactions_status_check CHECK (status IN ('pending','succeeded','failed','refunded','canceled')),
    payment_method VARCHAR(50),
    failure_reason TEXT,
    refunded_amount_cents INTEGER DEFAULT 0
        CONSTRAINT payment_transactions_refunded_amount_cents_check CHECK (refunded_amount_cents >= 0),
    processed_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    metadata JSONB DEFAULT '{}'
);

CREATE INDEX idx_payment_transactions_subscription_id ON public.payment_transactions(subscription_id);
CREATE INDEX idx_payment_transactions_stripe_invoice_id ON public.payment_transactions(stripe_invoice_id);
