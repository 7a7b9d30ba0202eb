#!/usr/bin/env python3
"""Write signed webhook deliveries for the load generators, one per line:
`sha256=HEX JSON`. GitHub's example `issues.opened` payload with an installation, the
issue number varied over N items (GitHub delivers for many items; tacit keeps deliveries
of the same item in order, so one item for all would serialise its processing).

    make_bodies.py PAYLOAD SECRET N OUT
"""
import hashlib, hmac, json, sys

payload, secret, n, out = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3]), sys.argv[4]
base = json.load(open(payload))
base["installation"] = {"id": 1}
with open(out, "w") as f:
    for i in range(1, n + 1):
        base["issue"]["number"] = i
        body = json.dumps(base, separators=(",", ":")).encode()
        sig = hmac.new(secret, body, hashlib.sha256).hexdigest()
        f.write(f"sha256={sig} {body.decode()}\n")
