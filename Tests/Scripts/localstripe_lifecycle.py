"""Drives one billing lifecycle on localstripe with Stripe's official Python SDK, then prints, as
JSON, the ids of every event localstripe lists (GET /v1/events, auto-paginated).

Usage: python localstripe_lifecycle.py API_BASE

A customer with a card, a product and a monthly plan, a subscription (its first invoice is paid
by a charge), and a partial refund of that charge. Used by the `ledger sync events` tests.
"""
import json
import sys

import stripe

stripe.api_key = "sk_test_localstripe"
stripe.api_base = sys.argv[1]
stripe.max_network_retries = 0

customer = stripe.Customer.create(email="sync@example.com", description="ledger sync test")
token = stripe.Token.create(card={"number": "4242424242424242", "exp_month": 12, "exp_year": 2040, "cvc": "123"})
stripe.Customer.create_source(customer.id, source=token.id)
plan = stripe.Plan.create(
    id="pro-monthly", amount=2500, currency="usd", interval="month", product={"name": "Pro"}
)
subscription = stripe.Subscription.create(customer=customer.id, items=[{"plan": plan.id}])
charges = stripe.Charge.list(customer=customer.id)
refunds = []
for charge in charges.data:
    refunds.append(stripe.Refund.create(charge=charge.id, amount=500).id)

ids = [event.id for event in stripe.Event.list(limit=100).auto_paging_iter()]
print(json.dumps({"subscription": subscription.id, "refunds": refunds, "events": ids}))
