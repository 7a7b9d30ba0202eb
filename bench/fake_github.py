#!/usr/bin/env python3
"""A fake GitHub REST API for bench/compare.sh's mix: answers the calls tacit makes with
GitHub's example response shapes (tests/fixtures/github/*.json, fields filled in from the
world bench/make_mix.py wrote) and counts every call by method and route template.

    fake_github.py PORT WORLD_JSON

- `GET /_counts`: {"calls": {"GET /repos/{o}/{r}/pulls/{n}": 12, ...}, "mints": N,
  "unknown": {...}} (unknown: requests no route matched, answered 404).
- `POST /_reset`: zeroes the counts.

State it keeps: the world (repositories, installations, seeded intent labels and head
commits). It does not remember what tacit writes (comments it posts are answered and
forgotten; an issue it closes or a pull request it merges reads as open again), and an
item's timeline holds only the `labeled` events of its intent labels: a comment or review in the
mix is not in it. No authentication is checked; every installation token is accepted.
Every user has `write` permission; `.github/tacit.yml` answers 404 everywhere (defaults).
"""
import json
import os
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FX = os.path.join(ROOT, "tests", "fixtures", "github")


def fixture(name):
    with open(os.path.join(FX, name)) as f:
        return json.load(f)


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class World:
    def __init__(self, path):
        with open(path) as f:
            w = json.load(f)
        import hashlib
        self.label_time = w["label_time"]
        self.maintainer = w["maintainer"]
        self.repos = {f"{r['owner']}/{r['name']}".lower(): r for r in w["repos"]}
        self.installations = sorted({r["installation"] for r in w["repos"]})
        # Intent labels on items: the seeded ones, then those the mix adds.
        self.labels = {k.lower(): [v] for k, v in w["seeded"].items()}
        for k, labels in w.get("added", {}).items():
            have = self.labels.setdefault(k.lower(), [])
            have.extend(label for label in labels if label not in have)
        self.n_items = w["items_per_repo"]
        self.sha = lambda seed: hashlib.sha1(seed.encode()).hexdigest()

    def head(self, full, n):
        r = self.repos[full.lower()]
        return self.sha(f"head:{r['owner']}/{r['name']}#{n}")


FIX = {name: fixture(f"{name}.json") for name in [
    "app", "installation", "installation-token", "repository", "issue", "pull-request",
    "issue-comment", "check-run", "collaborator-permission", "label", "merge-result",
    "issue-event", "review"]}
FIX["installation-token"]["repositories"] = []
FIXS = {name: json.dumps(v) for name, v in FIX.items()}


def fresh(name):
    """A private copy of a fixture (json.loads of its text: faster than deepcopy)."""
    return json.loads(FIXS[name])


USER = json.dumps(FIX["issue"]["user"])


def user(login):
    u = json.loads(USER)
    u["login"] = login
    u["type"] = "Bot" if login.endswith("[bot]") else "User"
    return u


BOT = "octoapp[bot]"  # the fixture app's slug

# (method, regex, template); first match wins.
SEG = r"([^/?]+)"
ROUTES = [(m, re.compile("^" + p.replace("{s}", SEG) + r"(?:\?.*)?$"), t) for m, p, t in [
    ("POST", "/app/installations/{s}/access_tokens", "POST /app/installations/{id}/access_tokens"),
    ("GET", "/app", "GET /app"),
    ("GET", "/app/installations", "GET /app/installations"),
    ("GET", "/app/hook/deliveries", "GET /app/hook/deliveries"),
    ("POST", "/app/hook/deliveries/{s}/attempts", "POST /app/hook/deliveries/{id}/attempts"),
    ("GET", "/installation/repositories", "GET /installation/repositories"),
    ("GET", "/repos/{s}/{s}", "GET /repos/{o}/{r}"),
    ("GET", "/repos/{s}/{s}/installation", "GET /repos/{o}/{r}/installation"),
    ("GET", "/repos/{s}/{s}/contents/(.+?)", "GET /repos/{o}/{r}/contents/{path}"),
    ("GET", "/repos/{s}/{s}/collaborators/{s}/permission", "GET /repos/{o}/{r}/collaborators/{u}/permission"),
    ("GET", "/repos/{s}/{s}/labels/{s}", "GET /repos/{o}/{r}/labels/{name}"),
    ("GET", "/repos/{s}/{s}/labels", "GET /repos/{o}/{r}/labels"),
    ("POST", "/repos/{s}/{s}/labels", "POST /repos/{o}/{r}/labels"),
    ("PATCH", "/repos/{s}/{s}/labels/{s}", "PATCH /repos/{o}/{r}/labels/{name}"),
    ("GET", "/repos/{s}/{s}/issues/comments/{s}", "GET /repos/{o}/{r}/issues/comments/{id}"),
    ("PATCH", "/repos/{s}/{s}/issues/comments/{s}", "PATCH /repos/{o}/{r}/issues/comments/{id}"),
    ("DELETE", "/repos/{s}/{s}/issues/comments/{s}", "DELETE /repos/{o}/{r}/issues/comments/{id}"),
    ("GET", "/repos/{s}/{s}/issues", "GET /repos/{o}/{r}/issues"),
    ("POST", "/repos/{s}/{s}/issues", "POST /repos/{o}/{r}/issues"),
    ("GET", "/repos/{s}/{s}/issues/{s}", "GET /repos/{o}/{r}/issues/{n}"),
    ("PATCH", "/repos/{s}/{s}/issues/{s}", "PATCH /repos/{o}/{r}/issues/{n}"),
    ("GET", "/repos/{s}/{s}/issues/{s}/timeline", "GET /repos/{o}/{r}/issues/{n}/timeline"),
    ("GET", "/repos/{s}/{s}/issues/{s}/events", "GET /repos/{o}/{r}/issues/{n}/events"),
    ("GET", "/repos/{s}/{s}/issues/{s}/comments", "GET /repos/{o}/{r}/issues/{n}/comments"),
    ("POST", "/repos/{s}/{s}/issues/{s}/comments", "POST /repos/{o}/{r}/issues/{n}/comments"),
    ("POST", "/repos/{s}/{s}/issues/{s}/labels", "POST /repos/{o}/{r}/issues/{n}/labels"),
    ("DELETE", "/repos/{s}/{s}/issues/{s}/labels/{s}", "DELETE /repos/{o}/{r}/issues/{n}/labels/{name}"),
    ("GET", "/repos/{s}/{s}/pulls/{s}", "GET /repos/{o}/{r}/pulls/{n}"),
    ("GET", "/repos/{s}/{s}/pulls/{s}/reviews", "GET /repos/{o}/{r}/pulls/{n}/reviews"),
    ("PUT", "/repos/{s}/{s}/pulls/{s}/merge", "PUT /repos/{o}/{r}/pulls/{n}/merge"),
    ("POST", "/repos/{s}/{s}/check-runs", "POST /repos/{o}/{r}/check-runs"),
    ("PATCH", "/repos/{s}/{s}/check-runs/{s}", "PATCH /repos/{o}/{r}/check-runs/{id}"),
    ("GET", "/repos/{s}/{s}/commits/{s}/check-runs", "GET /repos/{o}/{r}/commits/{ref}/check-runs"),
]]


class Fake:
    def __init__(self, world):
        self.w = world
        self.lock = threading.Lock()
        self.calls, self.unknown, self.mints = {}, {}, 0
        self.next_id = 7_000_000_000

    def new_id(self):
        with self.lock:
            self.next_id += 1
            return self.next_id

    def count(self, template, unknown=False):
        with self.lock:
            d = self.unknown if unknown else self.calls
            d[template] = d.get(template, 0) + 1
            if template.endswith("/access_tokens"):
                self.mints += 1

    # ---- answers: (status, body) ----
    def repo(self, o, r):
        rec = self.w.repos.get(f"{o}/{r}".lower())
        if rec is None:
            return None
        v = fresh("repository")
        v.update(id=rec["id"], name=rec["name"], full_name=f"{rec['owner']}/{rec['name']}",
                 default_branch="main", archived=False, allow_merge_commit=True,
                 allow_squash_merge=True, allow_rebase_merge=True)
        v["owner"]["login"] = rec["owner"]
        return v

    def labels_of(self, o, r, n):
        out = []
        for label in self.w.labels.get(f"{o}/{r}#{n}".lower(), []):
            lv = dict(FIX["label"])
            lv["name"] = label
            out.append(lv)
        return out

    def issue(self, o, r, n):
        v = fresh("issue")
        v.update(number=n, state="open", state_reason=None, title=f"Item {n}", closed_at=None,
                 labels=self.labels_of(o, r, n), user=user(f"dev{n % 20 + 1}"), comments=0)
        v["html_url"] = f"https://github.com/{o}/{r}/issues/{n}"
        if n % 2 == 1:
            v["pull_request"] = {"url": f"https://api.github.com/repos/{o}/{r}/pulls/{n}",
                                 "merged_at": None}
        else:
            v.pop("pull_request", None)
        return v

    def pull(self, o, r, n):
        v = fresh("pull-request")
        v.update(number=n, state="open", title=f"Item {n}", draft=False, merged=False,
                 merged_at=None, merge_commit_sha=None, labels=self.labels_of(o, r, n),
                 user=user(f"dev{n % 20 + 1}"), mergeable=None)
        v["head"]["sha"] = self.w.head(f"{o}/{r}", n)
        v["head"]["ref"] = f"feature-{n}"
        v["base"]["ref"] = "main"
        full = f"{o}/{r}"
        rid = self.w.repos[full.lower()]["id"]
        for side in ("head", "base"):
            if isinstance(v[side].get("repo"), dict):
                v[side]["repo"].update(id=rid, full_name=full, name=r)
        return v

    def comment(self, o, r, cid, body, n=1):
        v = fresh("issue-comment")
        now = iso(time.time())
        v.update(id=cid, body=body, user=user(BOT), created_at=now, updated_at=now,
                 html_url=f"https://github.com/{o}/{r}/issues/{n}#issuecomment-{cid}")
        return v

    def timeline(self, o, r, n):
        out = []
        for label in self.w.labels.get(f"{o}/{r}#{n}".lower(), []):
            e = fresh("issue-event")
            e.update(event="labeled", created_at=self.w.label_time, actor=user(self.w.maintainer),
                     label={"name": label, "color": "ededed"})
            out.append(e)
        return out

    def answer(self, method, path, body, auth=None):
        for m, rx, template in ROUTES:
            if m != method:
                continue
            mt = rx.match(path)
            if not mt:
                continue
            self.count(template)
            return self.handle(template, mt.groups(), path, body, auth)
        self.count(f"{method} {path.split('?')[0]}", unknown=True)
        return 404, {"message": "Not Found"}

    def handle(self, t, g, path, body, auth):
        now = time.time()
        nf = (404, {"message": "Not Found",
                    "documentation_url": "https://docs.github.com/rest"})
        if t.endswith("/access_tokens"):
            v = dict(FIX["installation-token"])
            v["token"] = f"ghs_bench{g[0]}x{self.new_id()}"
            v["expires_at"] = iso(now + 3600)
            return 201, v
        if t == "GET /app":
            return 200, FIX["app"]
        if t == "GET /app/installations":
            out = []
            for i in self.w.installations:
                v = fresh("installation")
                v["id"] = i
                v["account"]["login"] = f"org{i}"
                v["suspended_at"] = None
                out.append(v)
            return 200, out
        if t == "GET /app/hook/deliveries":
            return 200, []
        if t.startswith("POST /app/hook/deliveries"):
            return 202, {}
        if t == "GET /installation/repositories":
            m = re.search(r"ghs_bench(\d+)x", auth or "")
            inst = int(m.group(1)) if m else None
            page = 1
            m = re.search(r"[?&]page=(\d+)", path)
            if m:
                page = int(m.group(1))
            repos = [self.repo(r["owner"], r["name"]) for r in self.w.repos.values()
                     if r["installation"] == inst] if page == 1 else []
            return 200, {"total_count": len(repos), "repository_selection": "all",
                         "repositories": repos}
        o, r = g[0], g[1]
        if f"{o}/{r}".lower() not in self.w.repos:
            return nf
        if t == "GET /repos/{o}/{r}":
            return 200, self.repo(o, r)
        if t == "GET /repos/{o}/{r}/installation":
            v = fresh("installation")
            v["id"] = self.w.repos[f"{o}/{r}".lower()]["installation"]
            return 200, v
        if t.startswith("GET /repos/{o}/{r}/contents/"):
            return nf
        if t.endswith("/permission"):
            v = fresh("collaborator-permission")
            v.update(permission="write", role_name="write")
            v["user"] = user(g[2])
            return 200, v
        if t in ("GET /repos/{o}/{r}/labels/{name}", "PATCH /repos/{o}/{r}/labels/{name}"):
            v = dict(FIX["label"])
            v["name"] = g[2]
            return 200, v
        if t == "GET /repos/{o}/{r}/labels":
            return 200, []
        if t == "POST /repos/{o}/{r}/labels":
            v = dict(FIX["label"])
            v["name"] = (body or {}).get("name", "label")
            return 201, v
        if t == "GET /repos/{o}/{r}/issues/comments/{id}":
            return 200, self.comment(o, r, int(g[2]), "<!-- tacit:intent -->")
        if t == "PATCH /repos/{o}/{r}/issues/comments/{id}":
            return 200, self.comment(o, r, int(g[2]), (body or {}).get("body", ""))
        if t == "DELETE /repos/{o}/{r}/issues/comments/{id}":
            return 204, None
        if t == "GET /repos/{o}/{r}/issues":
            return 200, []
        if t == "POST /repos/{o}/{r}/issues":
            v = self.issue(o, r, 10_000 + self.new_id() % 1000)
            return 201, v
        n = int(g[2]) if len(g) > 2 and g[2].isdigit() else 0
        if t == "GET /repos/{o}/{r}/issues/{n}":
            return 200, self.issue(o, r, n)
        if t == "PATCH /repos/{o}/{r}/issues/{n}":
            v = self.issue(o, r, n)
            v.update({k: body[k] for k in ("state", "state_reason", "title", "body") if k in (body or {})})
            return 200, v
        if t in ("GET /repos/{o}/{r}/issues/{n}/timeline", "GET /repos/{o}/{r}/issues/{n}/events"):
            return 200, self.timeline(o, r, n)
        if t == "GET /repos/{o}/{r}/issues/{n}/comments":
            return 200, []
        if t == "POST /repos/{o}/{r}/issues/{n}/comments":
            return 201, self.comment(o, r, self.new_id(), (body or {}).get("body", ""), n)
        if t == "POST /repos/{o}/{r}/issues/{n}/labels":
            return 200, self.labels_of(o, r, n)
        if t == "DELETE /repos/{o}/{r}/issues/{n}/labels/{name}":
            return 200, []
        if t == "GET /repos/{o}/{r}/pulls/{n}":
            return (200, self.pull(o, r, n)) if n % 2 == 1 else nf
        if t == "GET /repos/{o}/{r}/pulls/{n}/reviews":
            return 200, []
        if t == "PUT /repos/{o}/{r}/pulls/{n}/merge":
            v = dict(FIX["merge-result"])
            v["sha"] = self.w.sha(f"merge:{o}/{r}#{n}")
            return 200, v
        if t in ("POST /repos/{o}/{r}/check-runs", "PATCH /repos/{o}/{r}/check-runs/{id}"):
            v = fresh("check-run")
            v["id"] = self.new_id() if t.startswith("POST") else int(g[2])
            for k in ("name", "head_sha", "status", "conclusion", "output"):
                if k in (body or {}):
                    v[k] = body[k]
            v["pull_requests"] = []
            return (201 if t.startswith("POST") else 200), v
        if t == "GET /repos/{o}/{r}/commits/{ref}/check-runs":
            return 200, {"total_count": 0, "check_runs": []}
        return nf



def serve(port, fake):
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True
        wbufsize = 1 << 16  # one write per answer, flushed after each request

        def log_message(self, *a):
            pass

        def _do(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = None
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
            if self.path == "/_counts":
                with fake.lock:
                    status, out = 200, {"calls": dict(fake.calls), "mints": fake.mints,
                                        "unknown": dict(fake.unknown)}
            elif self.path == "/_reset":
                with fake.lock:
                    fake.calls, fake.unknown, fake.mints = {}, {}, 0
                status, out = 200, {}
            else:
                status, out = fake.answer(self.command, self.path, body,
                                          self.headers.get("Authorization"))
            data = b"" if out is None else json.dumps(out, separators=(",", ":")).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-RateLimit-Remaining", "4999")
            self.send_header("X-RateLimit-Limit", "5000")
            self.end_headers()
            if data:
                self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _do

    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.request_queue_size = 256
    srv = ThreadingHTTPServer(("127.0.0.1", port), H)
    srv.serve_forever()


if __name__ == "__main__":
    serve(int(sys.argv[1]), Fake(World(sys.argv[2])))
