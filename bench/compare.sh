#!/usr/bin/env bash
# tacit against the reference most GitHub Apps are built on: a Probot 14 app
# (bench/probot, pinned by its package-lock.json) that receives the same deliveries and
# only logs them. Same machine, same run; the server under test pinned to CPU 0, the
# load generators to CPU 1; one server at a time; a fresh process (and for tacit a fresh
# database) for every run.
#
#   bench/compare.sh [runs] [seconds]        (defaults: 3 runs, 10 s per measurement)
#   EVENT=issue_comment PAYLOAD=issue_comment/created.1.json bench/compare.sh
#       the same with another of GitHub's example payloads (default: issues,
#       issues/opened.1.json). tacit records `issues.opened` as done at intake (it has
#       no use for it); an `issue_comment.created` is also processed (a comment may
#       hold a command, so tacit looks for an open intent on its item).
#   COMMENT_BODY='/approve' EVENT=issue_comment PAYLOAD=issue_comment/created.1.json ...
#       replaces the comment's body. GitHub's example comment holds no command, so tacit
#       records it as done at intake; with a command it is processed (claimed, parsed,
#       an open intent looked for on its item; none here, so no GitHub call).
#
# Deliveries: GitHub's example `issues.opened` payload with an installation, over 1,000
# issue numbers (bench/make_bodies.py), each signed with the webhook secret; a fresh
# X-GitHub-Delivery per request. Both servers log at LOG_LEVEL=warn (no line per delivery).
# Per run and server, two phases, each on a fresh process (and for tacit a fresh database):
#   1. maximum rate: warm-up wrk -c32 for 3 s (V8 optimises; tacit gets the same), then
#      wrk -t1 -c32 for SECONDS; deliveries/s = 2xx answers / duration.
#   2. fixed rate: bench/pace at 1,000 deliveries/s over 32 keep-alive connections, open
#      loop like wrk2 (each request has a due time; its latency counts from that due time,
#      so no coordinated omission); 3 s warm-up, then SECONDS; p50, p99, max.
#   CPU per delivery, both phases: utime+stime of the process (all threads, from
#   /proc/PID/stat) over the measured window / 2xx answers in it. Work tacit defers past
#   the window (processing its backlog of recorded deliveries) is not in it.
#   Peak RSS: VmHWM, the larger of the two phases.
# Prints every run, then medians and tacit/Probot ratios as a Markdown table.
# Needs: wrk, node >= 20 and npm, cargo, python3, openssl, taskset, curl. Asserts nothing.
# Loads go to 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
RUNS="${1:-3}"; SECS="${2:-10}"
RATE=1000; CONNS=32; WARM=3; ITEMS=1000
EVENT="${EVENT:-issues}"; PAYLOAD="${PAYLOAD:-issues/opened.1.json}"
export EVENT
SERVER_CPU=0; LOAD_CPU=1
for tool in wrk node npm cargo python3 openssl taskset curl; do
  command -v "$tool" >/dev/null || { echo "$tool is required" >&2; exit 1; }
done

echo "building tacit (release), bench/pace, and installing bench/probot (npm ci)" >&2
[ -n "${NO_BUILD:-}" ] || cargo build --release --quiet  # NO_BUILD=1: measure target/release/tacit as it is
cargo build --release --quiet --manifest-path bench/pace/Cargo.toml
[ -d bench/probot/node_modules ] || (cd bench/probot && npm ci --no-audit --no-fund --loglevel=error)
TACIT="$ROOT/target/release/tacit"
PACE="$ROOT/bench/pace/target/release/pace"
PROBOT_VERSION="$(node -p 'require("./bench/probot/node_modules/probot/package.json").version')"

WORK="$(mktemp -d)"
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
mkdir -p bench/results
RESULTS="bench/results/compare-$(date -u +%Y%m%dT%H%M%SZ).txt"

# An `issues.opened` delivery (GitHub's example payload) with an installation: tacit
# records it, then processes it (ignored: no intent, no GitHub call).
PAYLOAD_FILE="tests/fixtures/webhooks/$PAYLOAD"
if [ -n "${COMMENT_BODY:-}" ]; then
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["comment"]["body"]=sys.argv[2]; json.dump(d,sys.stdout)' \
    "$PAYLOAD_FILE" "$COMMENT_BODY" > "$WORK/payload.json"
  PAYLOAD_FILE="$WORK/payload.json"
fi
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["installation"]={"id":1}; sys.stdout.write(json.dumps(d,separators=(",",":")))' "$PAYLOAD_FILE" > "$WORK/body.json"
SECRET=bench-secret-0123456789
SIGNATURE="sha256=$(openssl dgst -sha256 -hmac "$SECRET" -r < "$WORK/body.json" | cut -d' ' -f1)"
python3 bench/make_bodies.py "$PAYLOAD_FILE" "$SECRET" "$ITEMS" "$WORK/bodies.txt"
CLK_TCK="$(getconf CLK_TCK)"

cpu_ticks() { # utime+stime of all threads, in clock ticks
  sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'
}
peak_rss_kib() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }

post_one() { # status code of one signed delivery
  curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$1/api/github/webhooks" \
    -H 'Content-Type: application/json' -H "X-GitHub-Event: $EVENT" \
    -H "X-GitHub-Delivery: check-$RANDOM-$RANDOM" -H "X-Hub-Signature-256: $SIGNATURE" \
    --data-binary @"$WORK/body.json"
}

start_tacit() { # $1 port, $2 run dir
  mkdir -p "$2"
  ( cd "$2" && exec env APP_ID=1 PRIVATE_KEY_PATH="$ROOT/tests/fixtures/test-app-key.pem" \
      WEBHOOK_SECRET="$SECRET" HOST=127.0.0.1 PORT="$1" DATABASE_URL="sqlite://$2/bench.db" \
      GITHUB_API_URL=http://127.0.0.1:9 LOG_LEVEL=warn \
      taskset -c "$SERVER_CPU" "$TACIT" serve >"$2/server.log" 2>&1 ) &
  PID=$!
  for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$1/healthz" >/dev/null && return; sleep 0.05; done
  echo "tacit did not become ready; log:" >&2; tail -20 "$2/server.log" >&2; exit 1
}

start_probot() { # $1 port, $2 run dir
  mkdir -p "$2"
  ( cd "$ROOT/bench/probot" && exec env APP_ID=1 PRIVATE_KEY_PATH="$ROOT/tests/fixtures/test-app-key.pem" \
      WEBHOOK_SECRET="$SECRET" HOST=127.0.0.1 PORT="$1" LOG_LEVEL=warn NODE_ENV=production LOG_FORMAT=json \
      taskset -c "$SERVER_CPU" node node_modules/probot/bin/probot.js run ./app.js >"$2/server.log" 2>&1 ) &
  PID=$!
  for _ in $(seq 1 400); do curl -sf "http://127.0.0.1:$1/ping" >/dev/null && return; sleep 0.05; done
  echo "probot did not become ready; log:" >&2; tail -20 "$2/server.log" >&2; exit 1
}

kv() { # value of key $1 in a "k=v k=v" line $2
  printf '%s\n' "$2" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k {print $2}'
}

start_checked() { # $1 server, $2 port, $3 dir: start it and check it takes a signed delivery
  "start_$1" "$2" "$3"
  local code; code="$(post_one "$2")"
  case "$code" in 2??) ;; *) echo "$1 answered $code to a signed delivery" >&2; exit 1 ;; esac
}

stop_server() {
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
}

tacit_states() { # deliveries by state in a tacit database, e.g. "done=120 pending=9880"
  python3 -c "import sqlite3;c=sqlite3.connect('file:$1/bench.db?mode=ro',uri=True);print(' '.join(f'{s}={n}' for s,n in c.execute('select state,count(*) from deliveries group by state')))"
}

measure() { # $1 server (tacit|probot), $2 run number
  # Ports below the kernel's ephemeral range (32768-60999): a port there can be taken as
  # the local end of some outgoing connection, and the server then cannot listen.
  local server="$1" run="$2"
  local port=$((18200 + run * 4)) url
  [ "$server" = probot ] && port=$((port + 2))
  url="http://127.0.0.1:$port"
  local c0 c1 out line extra=""

  # Phase 1, fresh process and database: maximum rate.
  start_checked "$server" "$port" "$WORK/$server-$run-max"
  BODIES="$WORK/bodies.txt" RUN="warm$run$server" \
    taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"${WARM}s" -s bench/intake.lua "$url" >/dev/null
  sleep 0.5
  c0="$(cpu_ticks "$PID")"
  out="$(BODIES="$WORK/bodies.txt" RUN="max$run$server" \
    taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"${SECS}s" -s bench/intake.lua "$url")"
  c1="$(cpu_ticks "$PID")"
  line="$(printf '%s\n' "$out" | grep '^WRK ')"
  local req dur bad sock ok rps cpu_max rss_max
  req="$(kv requests "$line")"; dur="$(kv duration_us "$line")"
  bad="$(kv status_errors "$line")"; sock="$(kv socket_errors "$line")"
  ok=$((req - bad))
  rps="$(python3 -c "print(round($ok / ($dur / 1e6)))")"
  cpu_max="$(python3 -c "print(round(($c1 - $c0) * 1e6 / $CLK_TCK / max($ok, 1), 1))")"
  rss_max="$(peak_rss_kib "$PID")"
  [ "$server" = tacit ] && extra="$extra max_db:$(tacit_states "$WORK/$server-$run-max" | tr ' ' ',')"
  stop_server

  # Phase 2, fresh process and database: a fixed 1,000 deliveries/s (open loop).
  start_checked "$server" "$port" "$WORK/$server-$run-paced"
  taskset -c "$LOAD_CPU" "$PACE" "127.0.0.1:$port" "$RATE" "$WARM" "$CONNS" "$WORK/bodies.txt" "$EVENT" "pwarm$run$server" >/dev/null
  sleep 0.5
  c0="$(cpu_ticks "$PID")"
  line="$(taskset -c "$LOAD_CPU" "$PACE" "127.0.0.1:$port" "$RATE" "$SECS" "$CONNS" "$WORK/bodies.txt" "$EVENT" "pace$run$server")"
  c1="$(cpu_ticks "$PID")"
  local pok p50 p99 pmax perr cpu_paced rss_paced
  pok="$(kv ok "$line")"; p50="$(kv p50_us "$line")"; p99="$(kv p99_us "$line")"; pmax="$(kv max_us "$line")"
  perr=$(( $(kv bad "$line") + $(kv errors "$line") ))
  cpu_paced="$(python3 -c "print(round(($c1 - $c0) * 1e6 / $CLK_TCK / max($pok, 1), 1))")"
  rss_paced="$(peak_rss_kib "$PID")"
  [ "$server" = tacit ] && extra="$extra paced_db:$(tacit_states "$WORK/$server-$run-paced" | tr ' ' ',')"
  stop_server

  local rss=$(( rss_max > rss_paced ? rss_max : rss_paced ))
  local load; load="$(cut -d' ' -f1 /proc/loadavg)"
  printf 'RESULT server=%s run=%s loadavg=%s rps=%s cpu_us_max=%s non2xx=%s sockerr=%s p50_us=%s p99_us=%s max_us=%s paced_ok=%s paced_err=%s cpu_us_paced=%s rss_kib=%s rss_max_kib=%s rss_paced_kib=%s%s\n' \
    "$server" "$run" "$load" "$rps" "$cpu_max" "$bad" "$sock" "$p50" "$p99" "$pmax" "$pok" "$perr" "$cpu_paced" "$rss" "$rss_max" "$rss_paced" "$extra" \
    | tee -a "$RESULTS"
}

{
  echo "# bench/compare.sh $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "# machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
  echo "# deliveries: $EVENT ($PAYLOAD${COMMENT_BODY:+, comment body: $COMMENT_BODY})"
  echo "# tacit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?') (release), probot $PROBOT_VERSION on node $(node --version), wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}')"
  echo "# runs=$RUNS seconds=$SECS connections=$CONNS paced_rate=$RATE server_cpu=$SERVER_CPU load_cpu=$LOAD_CPU"
} | tee "$RESULTS"

for run in $(seq 1 "$RUNS"); do
  measure tacit "$run"
  measure probot "$run"
done

python3 - "$RESULTS" <<'EOF'
import statistics, sys
rows = [dict(kv.split("=", 1) for kv in l.split()[1:]) for l in open(sys.argv[1]) if l.startswith("RESULT ")]
def med(server, key):
    return statistics.median(float(r[key]) for r in rows if r["server"] == server)
metrics = [
    ("deliveries/s, 32 connections (higher is better)", "rps", "{:.0f}"),
    ("CPU µs per delivery at max rate", "cpu_us_max", "{:.0f}"),
    ("CPU µs per delivery at 1,000/s", "cpu_us_paced", "{:.0f}"),
    ("latency p50 at 1,000/s (ms)", "p50_us", "ms"),
    ("latency p99 at 1,000/s (ms)", "p99_us", "ms"),
    ("peak RSS (MiB)", "rss_kib", "mib"),
]
n = len([r for r in rows if r["server"] == "tacit"])
print(f"\nmedians of {n} runs\n")
print("| figure | tacit | Probot | tacit / Probot |")
print("|---|--:|--:|--:|")
for label, key, fmt in metrics:
    t, p = med("tacit", key), med("probot", key)
    show = (lambda v: f"{v/1000:.2f}") if fmt == "ms" else (lambda v: f"{v/1024:.1f}") if fmt == "mib" else (lambda v: fmt.format(v))
    print(f"| {label} | {show(t)} | {show(p)} | {t/p:.2f} |")
EOF
echo "raw results: $RESULTS"
