#!/usr/bin/env python3
"""tacit alone with many intents: restart-to-ready and RSS with N open intents, and
lateness when M intents are due in the same second. Called by bench/intents.sh, which
builds the binaries. Prints figures; asserts nothing about their size.

Restart-to-ready: from just before exec of `tacit serve` to the first 200 from
/healthz (polled every 2 ms), on a database already holding N open intents whose
windows close over the next 72 hours (none due during the run). RSS: VmHWM after
/healthz answered and /metrics was read once, 3 s after start. One more run starts
with the page cache dropped (when run as root), reported apart from the median.

Both on SQLite (a file in a temporary directory) or, with --database postgres, on a
fresh database of the local PostgreSQL server (dropped afterwards).

Lateness: M intents whose windows all close at the same millisecond T, a few seconds
after tacit starts (or, with --in-second, evenly over the second that starts at T: the
intent seeded i-th of M closes at T + i * 1000 / M). An intent's lateness is
`updated_at - its close`, where `updated_at` is the
time tacit recorded the window's close (the core's decision, written with its effects
in one transaction). GitHub is unreachable (connection refused), so no intent moves on
past that first write; the run checks this (version must be 2 on every row).
"""

import argparse
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request


class Sqlite:
    name = "SQLite"

    def __init__(self, work, tag):
        self.path = os.path.join(work, f"{tag}.db")
        self.url = f"sqlite://{self.path}"

    def query(self, sql):
        c = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            return c.execute(sql).fetchall()
        finally:
            c.close()

    def size_mib(self):
        return sum(
            os.path.getsize(p) for p in (self.path, self.path + "-wal") if os.path.exists(p)
        ) / 2**20

    def drop(self):
        pass


class Postgres:
    """A fresh database on the local server (postgres@127.0.0.1:5432, trust auth)."""

    name = "PostgreSQL"
    server = "postgres://postgres@127.0.0.1:5432"

    def __init__(self, work, tag):
        self.db = f"tacit_bench_{os.getpid()}_{tag}"
        self.psql("postgres", f"CREATE DATABASE {self.db}")
        self.url = f"{self.server}/{self.db}"

    def psql(self, db, sql):
        out = subprocess.run(
            ["psql", "-X", "-q", "-At", "-F", "|", f"{self.server}/{db}", "-c", sql],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        cell = lambda v: int(v) if v.lstrip("-").isdigit() else v  # noqa: E731
        return [tuple(cell(v) for v in line.split("|")) for line in out.splitlines() if line]

    def query(self, sql):
        return self.psql(self.db, sql)

    def size_mib(self):
        return self.query(f"SELECT pg_database_size('{self.db}')")[0][0] / 2**20

    def drop(self):
        self.psql("postgres", f"DROP DATABASE IF EXISTS {self.db} WITH (FORCE)")


def percentile(values, p):
    s = sorted(values)
    k = max(0, min(len(s) - 1, int(round(p / 100 * len(s) + 0.5)) - 1))
    return s[k]


def vm(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024  # MiB
    return float("nan")


def env_for(args, db, port):
    env = dict(os.environ)
    env.update(
        APP_ID="1",
        PRIVATE_KEY_PATH=os.path.abspath("tests/fixtures/test-app-key.pem"),
        WEBHOOK_SECRET="bench-secret-0123456789",
        HOST="127.0.0.1",
        PORT=str(port),
        DATABASE_URL=db,
        GITHUB_API_URL="http://127.0.0.1:9",
        LOG_LEVEL="error",
    )
    return env


def start(args, db, port, cwd):
    cmd = [os.path.abspath(args.tacit), "serve"]
    if args.cpu is not None:
        cmd = ["taskset", "-c", str(args.cpu)] + cmd
    t0 = time.monotonic()
    log = open(os.path.join(cwd, "tacit.log"), "ab")
    proc = subprocess.Popen(
        cmd, env=env_for(args, db, port), cwd=cwd, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}/healthz"
    while True:
        if proc.poll() is not None:
            sys.exit(f"tacit exited with {proc.returncode} before it was ready")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return proc, time.monotonic() - t0
        except OSError:
            pass
        if time.monotonic() - t0 > 60:
            proc.kill()
            sys.exit("tacit was not ready within 60 s")
        time.sleep(0.002)


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def seed(args, db, count, mode, value):
    t = time.monotonic()
    subprocess.run([args.seed, db, str(count), mode, str(value)], check=True)
    return time.monotonic() - t


def open_case(args, work):
    store = args.store(work, "open")
    db = store.url
    took = seed(args, db, args.open, "spread", 72)
    print(
        f"\n## {args.open:,} open intents ({store.name}, {store.size_mib():,.0f} MiB on disk; seeded in {took:.1f} s)"
    )
    print("| run | page cache | restart-to-ready | RSS after start (VmHWM) |")
    print("|--:|--|--:|--:|")
    readies, rsss = [], []
    for run in range(1, args.runs + 2):
        # The last run starts with the page cache dropped (root only): the database is
        # read from disk, as after a machine's reboot. Not part of the median.
        cold = run == args.runs + 1
        if cold:
            os.sync()
            try:
                with open("/proc/sys/vm/drop_caches", "w") as f:
                    f.write("3\n")
            except OSError as e:
                print(f"(cold run skipped: cannot drop the page cache: {e})")
                break
        proc, ready = start(args, db, args.port, work)
        time.sleep(3)
        urllib.request.urlopen(f"http://127.0.0.1:{args.port}/metrics", timeout=10).read()
        rss = vm(proc.pid, "VmHWM")
        stop(proc)
        print(f"| {run} | {'dropped' if cold else 'warm'} | {ready * 1000:.0f} ms | {rss:.1f} MiB |")
        if cold:
            break
        readies.append(ready)
        rsss.append(rss)
        if run == args.runs:
            print(
                f"| median of warm runs | | {statistics.median(readies) * 1000:.0f} ms | {statistics.median(rsss):.1f} MiB |"
            )
    store.drop()


def closes(args, due, ident):
    """When the seeded intent `ident` (`seed-NNNNNNNN`, the i-th seeded) closes."""
    if not args.in_second:
        return due
    return due + int(ident.removeprefix("seed-")) * 1000 // args.due


def due_case(args, work):
    when = "second" if args.in_second else "millisecond"
    print(f"\n## {args.due:,} intents due in the same {when} ({args.store.name})")
    print("| run | all decided after T | lateness p50 | p99 | max | peak RSS |")
    print("|--:|--:|--:|--:|--:|--:|")
    p50s, p99s, maxs, rsss, dones = [], [], [], [], []
    for run in range(1, args.runs + 1):
        store = args.store(work, f"due{run}")
        db = store.url
        due = int(time.time() * 1000) + args.lead_ms
        seed(args, db, args.due, "second" if args.in_second else "at", due)
        proc, _ = start(args, db, args.port, work)
        if time.time() * 1000 > due - 500:
            sys.exit("seeding and start took longer than the lead; raise --lead-ms")
        deadline = time.monotonic() + (due / 1000 - time.time()) + 120
        while True:
            left = store.query("SELECT COUNT(*) FROM intents WHERE version = 1")[0][0]
            if left == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.5)  # the run is read from updated_at; a poll costs CPU
        rss = vm(proc.pid, "VmHWM")
        stop(proc)
        if left:
            sys.exit(f"{left} intents were still undecided 120 s after T")
        rows = store.query("SELECT id, updated_at FROM intents")
        late = [u - closes(args, due, ident) for (ident, u) in rows]
        all_done = max(u for (_, u) in rows) - due
        moved_on = store.query("SELECT COUNT(*) FROM intents WHERE version > 2")[0][0]
        if moved_on:
            sys.exit(f"{moved_on} intents were written more than once; lateness unreadable")
        store.drop()
        p50, p99, mx = percentile(late, 50), percentile(late, 99), max(late)
        p50s.append(p50)
        p99s.append(p99)
        maxs.append(mx)
        rsss.append(rss)
        dones.append(all_done)
        print(f"| {run} | {all_done} ms | {p50} ms | {p99} ms | {mx} ms | {rss:.1f} MiB |")
    med = statistics.median
    print(
        f"| median | {med(dones):.0f} ms | {med(p50s):.0f} ms | {med(p99s):.0f} ms | {med(maxs):.0f} ms | {med(rsss):.1f} MiB |"
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tacit", default="target/release/tacit")
    ap.add_argument("--seed", default="target/release/examples/seed_intents")
    ap.add_argument("--open", type=int, default=1_000_000)
    ap.add_argument("--due", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--port", type=int, default=18124)
    ap.add_argument("--lead-ms", type=int, default=8000)
    ap.add_argument("--cpu", type=int, default=0, help="pin tacit to this CPU (taskset)")
    ap.add_argument("--only", choices=["open", "due"])
    ap.add_argument(
        "--in-second",
        action="store_true",
        help="the due intents close evenly over one second, not in one millisecond",
    )
    ap.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    args = ap.parse_args()
    args.store = Postgres if args.database == "postgres" else Sqlite
    with tempfile.TemporaryDirectory(prefix="tacit-intents-") as work:
        if args.only in (None, "open"):
            open_case(args, work)
        if args.only in (None, "due"):
            due_case(args, work)


if __name__ == "__main__":
    main()
