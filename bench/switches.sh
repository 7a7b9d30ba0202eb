#!/usr/bin/env bash
# What one delivery costs tacit at a fixed 1,000/s, beyond its latency: CPU time and
# context switches per delivery, in total and per thread, for one or more tacit
# binaries measured alternately (an A/B of two commits on one machine state).
#
#   bench/switches.sh [runs] [binary ...]     (defaults: 3 runs, target/release/tacit)
#
# Per run and binary: a fresh tacit (SQLite in a temporary directory, GitHub
# unreachable, LOG_LEVEL=error) pinned to CPU 0; bench/pace on CPU 1 sends GitHub's
# example `issues.opened` (EVENT/PAYLOAD select another, as in bench/compare.sh) over
# 1,000 issues, signed, at 1,000/s on 32 connections: 3 s of warm-up, then 10 s
# measured. Context switches are the sums of voluntary_ctxt_switches and
# nonvoluntary_ctxt_switches over the process's threads (/proc/PID/task/*/status);
# CPU is utime+stime of the process (/proc/PID/stat); both over the measured 10 s,
# divided by the deliveries answered 2xx. Prints one line per run and binary, then the
# threads that switched. Needs python3, taskset, curl, cargo. Asserts nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
RUNS="${1:-3}"; shift || true
BINS=("$@"); [ ${#BINS[@]} -gt 0 ] || BINS=("$ROOT/target/release/tacit")
EVENT="${EVENT:-issues}"; PAYLOAD="${PAYLOAD:-issues/opened.1.json}"
SECRET=bench-webhook-secret-0123456789; PORT=18125; N=10000
if [ ${#BINS[@]} -eq 1 ] && [ "${BINS[0]}" = "$ROOT/target/release/tacit" ] && [ -z "${NO_BUILD:-}" ]; then
  cargo build --release --quiet --bin tacit
fi
cargo build --release --quiet --manifest-path bench/pace/Cargo.toml
PACE="$ROOT/bench/pace/target/release/pace"
WORK="$(mktemp -d)"; PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$WORK"' EXIT
python3 bench/make_bodies.py "tests/fixtures/webhooks/$PAYLOAD" "$SECRET" 1000 "$WORK/bodies.txt" >/dev/null

threads() { # comm voluntary nonvoluntary, one line per thread
  for t in /proc/"$PID"/task/*; do
    echo "$(tr ' ' _ <"$t/comm") $(awk '/^voluntary_ctxt/{v=$2} /^nonvoluntary_ctxt/{n=$2} END{print v, n}' "$t/status")"
  done
}
cpu() { awk '{print $14 + $15}' /proc/"$PID"/stat; }

echo "# bench/switches.sh $RUNS: $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD), $EVENT ($PAYLOAD) at 1,000/s, tacit pinned to CPU 0"
for run in $(seq 1 "$RUNS"); do
  for bin in "${BINS[@]}"; do
    db="$WORK/run$run-$(basename "$bin").db"
    ( cd "$WORK" && APP_ID=1 PRIVATE_KEY_PATH="$ROOT/tests/fixtures/test-app-key.pem" WEBHOOK_SECRET="$SECRET" \
      HOST=127.0.0.1 PORT=$PORT DATABASE_URL="sqlite://$db" GITHUB_API_URL=http://127.0.0.1:9 LOG_LEVEL=error \
      exec taskset -c 0 "$bin" serve >/dev/null 2>&1 ) &
    PID=$!
    for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
    taskset -c 1 "$PACE" "127.0.0.1:$PORT" 1000 3 32 "$WORK/bodies.txt" "$EVENT" "warm$run$RANDOM" >/dev/null
    threads >"$WORK/t0"; c0=$(cpu)
    line="$(taskset -c 1 "$PACE" "127.0.0.1:$PORT" 1000 $((N / 1000)) 32 "$WORK/bodies.txt" "$EVENT" "run$run$RANDOM")"
    threads >"$WORK/t1"; c1=$(cpu)
    kill "$PID"; wait "$PID" 2>/dev/null || true; PID=
    ok=$(grep -o 'ok=[0-9]*' <<<"$line" | cut -d= -f2)
    python3 - "$WORK/t0" "$WORK/t1" "$c0" "$c1" "$ok" "$bin" "$run" "$line" <<'EOF'
import collections, os, sys
t0, t1, c0, c1, ok, bin, run, line = sys.argv[1:]
ok = int(ok)
tick_us = 1e6 / os.sysconf("SC_CLK_TCK")
def read(p):
    return [(c, int(v), int(n)) for c, v, n in (l.split() for l in open(p))]
a, b = read(t0), read(t1)
per = collections.defaultdict(lambda: [0, 0])
vol = inv = 0
for (c, v0, n0), (_, v1, n1) in zip(a, b):
    per[c][0] += v1 - v0; per[c][1] += n1 - n0
    vol += v1 - v0; inv += n1 - n0
lat = " ".join(f for f in line.split() if f.startswith(("p50_us", "p99_us", "max_us")))
threads = ", ".join(f"{c} {v / ok:.2f}+{n / ok:.2f}" for c, (v, n) in sorted(per.items()) if v + n)
print(f"RESULT run={run} bin={bin} ok={ok} cpu_us={(int(c1) - int(c0)) * tick_us / ok:.0f} "
      f"switches_voluntary={vol / ok:.2f} switches_involuntary={inv / ok:.2f} {lat} threads: {threads}")
EOF
  done
done
