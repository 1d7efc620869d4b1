"""A fast fake of Stripe's GET /v1/events over a generated history, for `tools/bench sync` and `backfill`.

Usage: python3 fake_stripe_sync_bench.py PORT HISTORY.jsonl [--objects [--repeat K]]

Serves every event of HISTORY (one Stripe event a line, as `ledger generate` writes them) byte for
byte, listed as Stripe lists: newest first, `created[gte]`/`created[lt]`, `limit`, `starting_after`,
`has_more`. The history's `created` span is mapped, in the fake's index only, onto the last 29 days,
so the whole history is within Stripe's 30-day retention; the bytes are unchanged. Listens on
127.0.0.1 only. GET /_stats answers {"requests", "events", "serving_seconds"}: the time spent
building and writing pages, the part of a sync that is the fake's own.

With --objects it also serves the list endpoints `ledger sync backfill` reads (/v1/subscriptions,
/v1/invoices, /v1/payment_intents, /v1/charges, /v1/refunds, /v1/disputes): for each object id, the
`data.object` of the newest event carrying it (by its `object` kind, so charge.refunded's charge is a
charge and charge.refund.updated's refund a refund), bytes as in the history, listed newest first by the
object's `created` with `limit`, `starting_after` and `has_more`. `expand[]=data.latest_charge` puts the
newest bytes of the PaymentIntent's latest charge in place of its id, as Stripe expands it. /_stats then
also counts "objects" (elements served by those lists). Every response carries a Date header.

With --repeat K (K > 1) each object list serves K copies of the account, so a history of n objects
lists K·n without holding more than one copy: copy r > 0 of an object is its bytes with every Stripe
id in them (object, customer, subscription, invoice, charge… ids) suffixed `_<r>`, so the copies are
distinct, consistent accounts. Copies are listed one after another, copy 0 first.
"""
import bisect
import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

port = int(sys.argv[1])
serve_objects = "--objects" in sys.argv[3:]
repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv[3:] else 1
lines = []
seen = set()
with open(sys.argv[2], "rb") as f:
    for line in f:
        line = line.rstrip(b"\n")
        if line:
            event = json.loads(line)
            # A generated history redelivers some events; Stripe lists each event once.
            if event["id"] not in seen:
                seen.add(event["id"])
                lines.append((event["created"], event["id"], line))
lines.sort(key=lambda item: item[0])

list_paths = {
    "subscription": "/v1/subscriptions",
    "invoice": "/v1/invoices",
    "payment_intent": "/v1/payment_intents",
    "charge": "/v1/charges",
    "refund": "/v1/refunds",
    "dispute": "/v1/disputes",
}
# path -> (ascending (created, id) keys, bodies in that order, index of each id, expanded bodies or None)
object_lists = {}
# The ids `ledger generate` makes (and so every id a copy must rename), as JSON strings.
stripe_id = re.compile(rb'"(?:ch|cus|di|dp|evt|il|in|inpay|pi|pm|price|prod|re|req|si|sub|txn)_[A-Za-z0-9]+')


def copy_of(body, r):
    """Copy r of an object's bytes: every Stripe id in it suffixed `_<r>` (copy 0 is the object itself)."""
    if r == 0:
        return body
    suffix = b"_" + str(r).encode()
    return stripe_id.sub(lambda match: match.group(0) + suffix, body)


def split_copy(object_id, index_of_id):
    """(copy, base id) of an id a listing showed (generated ids have no `_` after their prefix's)."""
    if object_id in index_of_id:
        return 0, object_id
    base, _, r = object_id.rpartition("_")
    return (int(r), base) if r.isdigit() else (repeat, object_id)


def build_object_lists():
    decoder = json.JSONDecoder()
    marker = '"data":{"object":'
    newest = {kind: {} for kind in list_paths}  # kind -> id -> (created, bytes); later events overwrite
    for _, _, line in lines:  # oldest first: the last event carrying an id is its newest
        text = line.decode()
        start = text.index(marker) + len(marker)
        obj, end = decoder.raw_decode(text, start)
        objects = newest.get(obj.get("object"))
        if objects is not None:
            objects[obj["id"]] = (obj.get("created", 0), text[start:end].encode())
    for kind, objects in newest.items():
        ordered = sorted(objects.items(), key=lambda item: (item[1][0], item[0]))
        bodies = [body for _, (_, body) in ordered]
        expanded = None
        if kind == "payment_intent":
            charges = newest["charge"]
            expanded = []
            for body in bodies:
                charge_id = json.loads(body).get("latest_charge")
                if isinstance(charge_id, str) and charge_id in charges:
                    body = body.replace(b'"latest_charge":"' + charge_id.encode() + b'"',
                                        b'"latest_charge":' + charges[charge_id][1], 1)
                expanded.append(body)
        object_lists[list_paths[kind]] = (bodies, {object_id: i for i, (object_id, _) in enumerate(ordered)},
                                          expanded)


if serve_objects:
    build_object_lists()
now = int(time.time())
low, high = lines[0][0], lines[-1][0]
span = max(high - low, 1)
target_start, target_span = now - 29 * 86400, 29 * 86400 - 60
created = [target_start + (c - low) * target_span // span for c, _, _ in lines]
bodies = [body for _, _, body in lines]
index_of = {event_id: i for i, (_, event_id, _) in enumerate(lines)}
stats = {"requests": 0, "events": 0, "objects": 0, "serving_seconds": 0.0}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        started = time.perf_counter()
        url = urlsplit(self.path)
        if url.path == "/_stats":
            with lock:
                self.send(200, json.dumps(stats).encode())
            return
        if url.path in object_lists:
            self.list_objects(url, started)
            return
        if url.path != "/v1/events":
            self.send(404, b'{"error":{"message":"not found"}}')
            return
        query = dict(parse_qsl(url.query))
        lower = bisect.bisect_left(created, int(query.get("created[gte]", -(2**62))))
        upper = bisect.bisect_left(created, int(query.get("created[lt]", 2**62)))
        limit = min(int(query.get("limit", "10")), 100)
        after = query.get("starting_after")
        if after is not None and after in index_of:
            upper = min(upper, index_of[after])
        first = max(lower, upper - limit)
        page = bodies[first:upper][::-1]
        body = (
            b'{"object":"list","data":['
            + b",".join(page)
            + b'],"has_more":'
            + (b"true" if first > lower else b"false")
            + b',"url":"/v1/events"}'
        )
        self.send(200, body)
        with lock:
            stats["requests"] += 1
            stats["events"] += len(page)
            stats["serving_seconds"] += time.perf_counter() - started

    def list_objects(self, url, started):
        bodies, index_of_id, expanded = object_lists[url.path]
        query = parse_qsl(url.query)
        if expanded is not None and ("expand[]", "data.latest_charge") in query:
            bodies = expanded
        query = dict(query)
        # Positions run over every copy, listed from the top down: copy r holds [(K-1-r)·n, (K-r)·n).
        count = len(bodies)
        upper = count * repeat
        limit = min(int(query.get("limit", "10")), 100)
        after = query.get("starting_after")
        if after is not None:
            r, base = split_copy(after, index_of_id)
            if base in index_of_id and r < repeat:
                upper = (repeat - 1 - r) * count + index_of_id[base]
        first = max(0, upper - limit)
        page = []
        for position in range(upper - 1, first - 1, -1):
            r = repeat - 1 - position // count
            page.append(copy_of(bodies[position % count], r))
        body = (
            b'{"object":"list","data":['
            + b",".join(page)
            + b'],"has_more":'
            + (b"true" if first > 0 else b"false")
            + b',"url":"'
            + url.path.encode()
            + b'"}'
        )
        self.send(200, body)
        with lock:
            stats["requests"] += 1
            stats["objects"] += len(page)
            stats["serving_seconds"] += time.perf_counter() - started


server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
print("listening", flush=True)
server.serve_forever()
