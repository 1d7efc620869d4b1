"""Drives varied billing lifecycles on localstripe with Stripe's official Python SDK, then prints, as JSON,
the licenses the subscriptions name and every subscription and PaymentIntent as Stripe now lists them.

Usage: python localstripe_backfill_lifecycle.py API_BASE

Used by the `ledger sync backfill` tests: a backfill into an empty ledger must give rows equal, column by
column, to these objects. Each subscription names its license and plan type in metadata (the default
mapping). Lifecycles: a plain monthly subscription of two seats, partly refunded; one with a trial; an
upgrade (starter to pro); an interval change (monthly to yearly); a cancel at period end; a cancel now; a
declined card; a card that asks for 3-D Secure. localstripe speaks API version 2017-08-15 (plans, periods on
the subscription) and emits no `customer.subscription.updated`: shapes the projection must read as they are.
"""
import json
import sys
import uuid

import stripe

stripe.api_key = "sk_test_localstripe"
stripe.api_base = sys.argv[1]
stripe.max_network_retries = 0

licenses = []
notes = []


def customer(card="4242424242424242"):
    created = stripe.Customer.create(email=f"{uuid.uuid4().hex[:8]}@example.com")
    token = stripe.Token.create(card={"number": card, "exp_month": 12, "exp_year": 2040, "cvc": "123"})
    stripe.Customer.create_source(created.id, source=token.id)
    return created.id


def metadata(plan_type):
    license_id = str(uuid.uuid4())
    licenses.append({"id": license_id, "plan_type": plan_type})
    return {"license_id": license_id, "plan_type": plan_type}


def plan(plan_id, amount, interval):
    return stripe.Plan.create(id=plan_id, amount=amount, currency="usd", interval=interval,
                              product={"name": plan_id})


starter = plan("starter-monthly", 900, "month")
pro = plan("pro-monthly", 2500, "month")
pro_yearly = plan("pro-yearly", 25000, "year")

plain = stripe.Subscription.create(customer=customer(), items=[{"plan": pro.id, "quantity": 2}],
                                   metadata=metadata("pro"))
for charge in stripe.Charge.list(customer=plain.customer).data:
    stripe.Refund.create(charge=charge.id, amount=700)

stripe.Subscription.create(customer=customer(), items=[{"plan": pro.id}], trial_period_days=14,
                           metadata=metadata("pro"))

upgraded = stripe.Subscription.create(customer=customer(), items=[{"plan": starter.id}],
                                      metadata=metadata("starter"))
stripe.Subscription.modify(upgraded.id, items=[{"id": upgraded["items"].data[0].id, "plan": pro.id}],
                           metadata={"plan_type": "pro"})

yearly = stripe.Subscription.create(customer=customer(), items=[{"plan": pro.id}], metadata=metadata("pro"))
stripe.Subscription.modify(yearly.id, items=[{"id": yearly["items"].data[0].id, "plan": pro_yearly.id}])

ending = stripe.Subscription.create(customer=customer(), items=[{"plan": starter.id}],
                                    metadata=metadata("starter"))
stripe.Subscription.modify(ending.id, cancel_at_period_end=True)

ended = stripe.Subscription.create(customer=customer(), items=[{"plan": starter.id}],
                                   metadata=metadata("starter"))
stripe.Subscription.delete(ended.id)

for card, what in [("4000000000000341", "declined card"), ("4000000000003220", "3-D Secure card")]:
    try:
        stripe.Subscription.create(customer=customer(card), items=[{"plan": pro.id}], metadata=metadata("pro"))
    except stripe.error.StripeError as error:
        notes.append(f"{what}: {error.user_message or error}")


def listed(resource, **query):
    return [json.loads(str(item)) for item in resource.list(limit=100, **query).auto_paging_iter()]


print(json.dumps({
    "licenses": licenses,
    "subscriptions": listed(stripe.Subscription, status="all"),
    "payment_intents": listed(stripe.PaymentIntent, expand=["data.latest_charge"]),
    "notes": notes,
}))
