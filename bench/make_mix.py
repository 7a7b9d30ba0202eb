#!/usr/bin/env python3
"""Write the real mix of signed deliveries for bench/compare.sh, one per line:
`sha256=HEX EVENT KIND JSON` (EVENT is the X-GitHub-Event header, KIND the row of the
report it counts in). bench/intake.lua and bench/pace read this format, and the old
`sha256=HEX JSON` too.

    make_mix.py SECRET N OUT_DIR [--kind KIND] [--seed S]

Writes OUT_DIR/mix.txt (N deliveries, or N of one KIND with --kind), OUT_DIR/seed.txt
(the `labeled` deliveries that open the seeded intents, before measuring) and
OUT_DIR/world.json (repositories, installations, seeded items and head commits, read by
bench/fake_github.py so that its answers agree with the payloads).

The world: 5 installations (organisations org1..org5), 10 repositories each (50), 25
items per repository (1,250): odd numbers are pull requests, even numbers issues.
Deliveries pick an item uniformly. Seeded intents: 2 per repository (100), one
`intent-to-merge` on a pull request and one `intent-to-close` on an issue, so about 1
delivery about an item in 12 meets an open intent.

Proportions, per 100 deliveries (what a busy organisation's App subscribed to tacit's
events receives: CI dominates, since every push to a pull request starts several check
runs and statuses, each of which sends deliveries on creation and completion; then
conversation; then code):

    check_run (created/completed)                 30   CI noise
    status                                        15   CI noise
    check_suite (completed)                       10   CI noise
    issue_comment.created                         15   of which 85 % plain text,
                                                        10 % `/approve`, 5 % `/object <reason>`
    issues/pull_request.labeled                    8   of which 95 % ordinary labels
                                                        (bug, enhancement, ...), 5 % intent labels
    push (a branch, not touching .github/tacit.yml) 10
    pull_request.synchronize                       7
    pull_request_review.submitted                  5   commented 60 %, approved 30 %,
                                                        changes_requested 10 %

Check runs, check suites and statuses name the head commit of a random pull request
(matched by sha to intents, SPEC 4). Every payload is one of GitHub's example payloads
(tests/fixtures/webhooks/, `push` built after GitHub's documented shape:
bench/fixtures/push.json) with repository, installation, item, user and sha filled in.
Comment and review times are the generation time plus a second, label times the
generation time: commands come after the label.
"""
import argparse
import hashlib
import hmac
import json
import os
import random
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
FIX = os.path.join(ROOT, "tests", "fixtures", "webhooks")
INSTALLATIONS, REPOS_PER_INST, ITEMS_PER_REPO = 5, 10, 25
USERS = [f"dev{i}" for i in range(1, 21)]
MAINTAINER = "maintainer1"
PLAIN_LABELS = ["bug", "enhancement", "documentation", "question", "good first issue",
                "help wanted", "dependencies", "needs triage", "area: api", "priority: high"]
INTENT_LABELS = ["intent-to-merge", "intent-to-close", "intent-to-proceed"]

# (kind, event, weight per 100); a kind's payload is built by `build` below.
MIX = [
    ("check_run", "check_run", 30),
    ("status", "status", 15),
    ("check_suite", "check_suite", 10),
    ("comment", "issue_comment", 15 * 0.85),
    ("comment_approve", "issue_comment", 15 * 0.10),
    ("comment_object", "issue_comment", 15 * 0.05),
    ("label", None, 8 * 0.95),
    ("label_intent", None, 8 * 0.05),
    ("push", "push", 10),
    ("synchronize", "pull_request", 7),
    ("review", "pull_request_review", 5),
]
KINDS = [k for k, _, _ in MIX]


def load(rel):
    with open(os.path.join(FIX, rel)) as f:
        return json.load(f)


def sha(seed):
    return hashlib.sha1(seed.encode()).hexdigest()


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class World:
    def __init__(self):
        self.repos = []  # (installation, owner, name, id)
        for i in range(1, INSTALLATIONS + 1):
            for r in range(1, REPOS_PER_INST + 1):
                self.repos.append((i, f"org{i}", f"repo{r}", 100000 + i * 100 + r))
        self.items = [(repo, n) for repo in self.repos for n in range(1, ITEMS_PER_REPO + 1)]
        self.pulls = [(repo, n) for repo, n in self.items if n % 2 == 1]
        # Seeded intents: a pull request (merge) and an issue (close) per repository.
        self.seeded = {}
        for repo in self.repos:
            self.seeded[(repo, 1)] = "intent-to-merge"
            self.seeded[(repo, 2)] = "intent-to-close"
        # Intent labels the mix adds (kind label_intent): the fake GitHub shows them on
        # their items, so that tacit finds the label it was told of.
        self.added = {}

    @staticmethod
    def head(repo, n):
        return sha(f"head:{repo[1]}/{repo[2]}#{n}")

    def to_json(self, label_time):
        return {
            "label_time": label_time,
            "maintainer": MAINTAINER,
            "repos": [{"installation": i, "owner": o, "name": n, "id": rid}
                      for i, o, n, rid in self.repos],
            "items_per_repo": ITEMS_PER_REPO,
            "seeded": {f"{r[1]}/{r[2]}#{n}": label for (r, n), label in self.seeded.items()},
            "added": {f"{r[1]}/{r[2]}#{n}": sorted(labels) for (r, n), labels in self.added.items()},
        }


def set_repo(d, repo):
    inst, owner, name, rid = repo
    r = d.get("repository")
    if r is not None:
        r.update(id=rid, name=name, full_name=f"{owner}/{name}", default_branch="main")
        if isinstance(r.get("owner"), dict):
            r["owner"].update(login=owner, name=owner)
    d["installation"] = {"id": inst, "node_id": f"MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u{inst}"}


def set_user(u, login):
    if isinstance(u, dict):
        u["login"] = login
        u["id"] = 5000 + sum(login.encode())
        u["type"] = "User"


def set_pull(p, repo, n, head_sha):
    inst, owner, name, rid = repo
    p["number"] = n
    p["state"] = "open"
    p["draft"] = False
    p["merged"] = False
    p["head"]["sha"] = head_sha
    p["head"]["ref"] = f"feature-{n}"
    for side in ("head", "base"):
        if isinstance(p[side].get("repo"), dict):
            p[side]["repo"].update(id=rid, name=name, full_name=f"{owner}/{name}")
    p["base"]["ref"] = "main"


class Builder:
    def __init__(self, world, rng, now):
        self.w, self.rng, self.now = world, rng, now
        self.fx = {
            "check_run": [load("check_run/completed.1.json"), load("check_run/created.1.json")],
            "status": [load("status/event.1.json")],
            "check_suite": [load("check_suite/completed.1.json")],
            "comment": [load("issue_comment/created.1.json")],
            "issues.labeled": [load("issues/labeled.1.json")],
            "pull_request.labeled": [load("pull_request/labeled.1.json")],
            "synchronize": [load("pull_request/synchronize.1.json")],
            "review": [load("pull_request_review/submitted.1.json")],
        }
        with open(os.path.join(ROOT, "bench", "fixtures", "push.json")) as f:
            self.fx["push"] = [json.load(f)]
        self.next_id = 900000000

    def fresh_id(self):
        self.next_id += 1
        return self.next_id

    def pick(self, name):
        return json.loads(json.dumps(self.rng.choice(self.fx[name])))

    def labeled(self, repo, n, label, when):
        is_pull = n % 2 == 1
        d = self.pick("pull_request.labeled" if is_pull else "issues.labeled")
        set_repo(d, repo)
        item = d["pull_request" if is_pull else "issue"]
        item["number"] = n
        item["updated_at"] = iso(when)
        if is_pull:
            set_pull(item, repo, n, World.head(repo, n))
            d["number"] = n
        d["label"]["name"] = label
        set_user(d["sender"], MAINTAINER)
        return ("pull_request" if is_pull else "issues"), d

    def build(self, kind):
        rng, w = self.rng, self.w
        later = self.now + 1
        if kind in ("check_run", "check_suite", "status"):
            repo, n = rng.choice(w.pulls)
            head = World.head(repo, n)
            d = self.pick(kind)
            set_repo(d, repo)
            if kind == "status":
                d["sha"] = head
                d["id"] = self.fresh_id()
                d["state"] = rng.choice(["pending", "success", "success", "failure"])
            else:
                c = d[kind]
                c["id"] = self.fresh_id()
                c["head_sha"] = head
                for p in c.get("pull_requests") or []:
                    p["number"] = n
                    p["head"]["sha"] = head
            return kind, d
        if kind.startswith("comment"):
            repo, n = rng.choice(w.items)
            d = self.pick("comment")
            set_repo(d, repo)
            d["issue"]["number"] = n
            if n % 2 == 1:
                d["issue"]["pull_request"] = {"url": f"https://api.github.com/repos/{repo[1]}/{repo[2]}/pulls/{n}"}
            else:
                d["issue"].pop("pull_request", None)
            c = d["comment"]
            c["id"] = self.fresh_id()
            login = rng.choice(USERS)
            set_user(c["user"], login)
            set_user(d["sender"], login)
            c["created_at"] = c["updated_at"] = iso(later)
            c["body"] = {
                "comment": rng.choice(["Thanks, looks good to me.", "Can we add a test for this?",
                                       "I see the same on my machine.\n\nSteps: run it twice.",
                                       "+1", "Rebased on main."]),
                "comment_approve": "/approve",
                "comment_object": "/object this needs a migration plan first",
            }[kind]
            return "issue_comment", d
        if kind in ("label", "label_intent"):
            repo, n = rng.choice(w.items)
            label = rng.choice(INTENT_LABELS[:2] if kind == "label_intent" else PLAIN_LABELS)
            if kind == "label_intent":
                w.added.setdefault((repo, n), set()).add(label)
            return self.labeled(repo, n, label, self.now)
        if kind == "push":
            repo = rng.choice(w.repos)
            d = self.pick("push")
            set_repo(d, repo)
            branch = rng.choice(["main", f"feature-{rng.randrange(1, ITEMS_PER_REPO + 1)}"])
            d["ref"] = f"refs/heads/{branch}"
            d["before"], d["after"] = sha(f"b{self.fresh_id()}"), sha(f"a{self.next_id}")
            d["head_commit"]["id"] = d["after"]
            for c in d["commits"]:
                c["id"] = d["after"]
            return "push", d
        if kind == "synchronize":
            repo, n = rng.choice(w.pulls)
            d = self.pick("synchronize")
            set_repo(d, repo)
            d["number"] = n
            new = sha(f"push{self.fresh_id()}")
            set_pull(d["pull_request"], repo, n, new)
            d["pull_request"]["updated_at"] = iso(later)  # the push's time, after the label
            d["before"], d["after"] = World.head(repo, n), new
            return "pull_request", d
        if kind == "review":
            repo, n = rng.choice(w.pulls)
            d = self.pick("review")
            set_repo(d, repo)
            set_pull(d["pull_request"], repo, n, World.head(repo, n))
            d["pull_request"]["updated_at"] = iso(later)
            r = d["review"]
            r["id"] = self.fresh_id()
            login = rng.choice(USERS)
            set_user(r["user"], login)
            set_user(d["sender"], login)
            r["commit_id"] = World.head(repo, n)
            r["submitted_at"] = iso(later)
            r["state"] = rng.choices(["commented", "approved", "changes_requested"], [60, 30, 10])[0]
            r["body"] = "Looks fine." if r["state"] != "changes_requested" else "Please split this."
            return "pull_request_review", d
        raise SystemExit(f"unknown kind {kind}")


def line(secret, event, kind, d):
    body = json.dumps(d, separators=(",", ":")).encode()
    sig = hmac.new(secret, body, hashlib.sha256).hexdigest()
    return f"sha256={sig} {event} {kind} {body.decode()}\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("secret")
    ap.add_argument("n", type=int)
    ap.add_argument("out_dir")
    ap.add_argument("--kind", choices=KINDS, help="only deliveries of this kind")
    ap.add_argument("--seed", type=int, default=12)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    now = int(time.time()) - 60
    w = World()
    b = Builder(w, rng, now)
    secret = a.secret.encode()
    os.makedirs(a.out_dir, exist_ok=True)
    kinds, weights = [k for k, _, _ in MIX], [wt for _, _, wt in MIX]
    with open(os.path.join(a.out_dir, "mix.txt"), "w") as f:
        for _ in range(a.n):
            kind = a.kind or rng.choices(kinds, weights)[0]
            event, d = b.build(kind)
            f.write(line(secret, event, kind, d))
    with open(os.path.join(a.out_dir, "seed.txt"), "w") as f:
        for (repo, n), label in w.seeded.items():
            event, d = b.labeled(repo, n, label, now)
            f.write(line(secret, event, "seed", d))
    with open(os.path.join(a.out_dir, "world.json"), "w") as f:
        json.dump(w.to_json(iso(now)), f)


if __name__ == "__main__":
    main()
