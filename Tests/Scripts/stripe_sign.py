"""Signs webhook payloads with Stripe's own Python library, for the ledger's server tests.

Reads a JSON array on standard input: [{"payload_base64": …, "secret": …, "timestamp": …}, …]
and prints a JSON array of Stripe-Signature header values, one per item, made by
stripe.WebhookSignature.generate_signature_header and checked with its verify_header.
An independent signer: if the ledger's verification disagrees with Stripe's SDK, the tests fail.
"""
import base64
import json
import sys

import stripe

requests = json.load(sys.stdin)
headers = []
for request in requests:
    # Stripe signs the body's text; webhook bodies are UTF-8 JSON.
    payload = base64.b64decode(request["payload_base64"]).decode("utf-8")
    header = stripe.WebhookSignature.generate_signature_header(
        payload, request["secret"], timestamp=request["timestamp"]
    )
    stripe.WebhookSignature.verify_header(payload, header, request["secret"], tolerance=None)
    headers.append(header)
json.dump(headers, sys.stdout)
