"""Runs localstripe (a stateful fake Stripe) on 127.0.0.1 only, its state in a directory of the caller's.

Usage: python localstripe_serve.py PORT STATE_DIR

localstripe's own entry point binds every interface ('::') and keeps its state in
/tmp/localstripe.pickle, shared by every run on the machine; this wrapper serves the same
application on loopback and keeps the pickle in STATE_DIR. Used by the `ledger sync` tests.
"""
import os
import pickle
import sys

from aiohttp import web
from localstripe import resources, server

port = int(sys.argv[1])
state_file = os.path.join(sys.argv[2], "localstripe.pickle")


def try_load_from_disk(self):
    try:
        with open(state_file, "rb") as f:
            old = pickle.load(f)
    except FileNotFoundError:
        return
    self.clear()
    self.update(old)


def dump_to_disk(self):
    with open(state_file, "wb") as f:
        pickle.dump(self, f, protocol=pickle.HIGHEST_PROTOCOL)


resources.Store.try_load_from_disk = try_load_from_disk
resources.Store.dump_to_disk = dump_to_disk
resources.store.try_load_from_disk()
web.run_app(server.app, host="127.0.0.1", port=port, access_log=None, print=lambda *_: print("listening", flush=True))
