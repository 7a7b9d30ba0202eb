#!/usr/bin/env bash
# Durable intake throughput: deliveries per second that tacit records (fsync'd, SQLite
# WAL with synchronous=FULL) and answers 2xx, on this machine.
#   bench/intake.sh [seconds] [connections]
# Needs wrk (Debian package `wrk`). Prints the figures; asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS="${1:-10}"; CONNS="${2:-32}"
command -v wrk >/dev/null || { echo "wrk is required: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet
WORK="$(mktemp -d)"; trap 'kill $PID 2>/dev/null; rm -rf "$WORK"' EXIT
PORT=18123
# `issues.opened` deliveries over 1,000 issues (bench/make_bodies.py): recorded and
# processed (ignored), no GitHub call needed.
SECRET=bench-secret-0123456789
python3 bench/make_bodies.py tests/fixtures/webhooks/issues/opened.1.json "$SECRET" 1000 "$WORK/bodies.txt"
( cd "$WORK" && APP_ID=1 PRIVATE_KEY_PATH="$OLDPWD/tests/fixtures/test-app-key.pem" WEBHOOK_SECRET="$SECRET" \
  HOST=127.0.0.1 PORT=$PORT DATABASE_URL="sqlite://$WORK/bench.db" GITHUB_API_URL=http://127.0.0.1:9 LOG_LEVEL=error \
  taskset -c 0 "$OLDPWD/target/release/tacit" serve ) &
PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
echo "tacit pinned to CPU 0; wrk on CPU 1; ${SECS}s, ${CONNS} connections"
BODIES="$WORK/bodies.txt" RUN="$(date +%s)" taskset -c 1 wrk -t1 -c"$CONNS" -d"${SECS}s" --latency -s bench/intake.lua "http://127.0.0.1:$PORT"
echo "peak RSS of tacit: $(grep VmHWM /proc/$PID/status | awk '{print $2, $3}')"
echo "deliveries recorded: $(python3 -c "import sqlite3;print(sqlite3.connect('$WORK/bench.db').execute('select count(*) from deliveries').fetchone()[0])")"
