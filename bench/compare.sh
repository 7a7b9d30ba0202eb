#!/usr/bin/env bash
# tacit against the reference most GitHub Apps are built on: a Probot 14 app
# (bench/probot, pinned by its package-lock.json) that receives the same deliveries and
# only logs them. Same machine, same run; the server under test pinned to CPU 0, the
# load generators to CPU 1; one server at a time; a fresh process (and for tacit a fresh
# database) for every run.
#
#   bench/compare.sh [runs] [seconds]        (defaults: 3 runs, 10 s per measurement)
#       the real mix (the default, issue 12): bench/make_mix.py's deliveries of every
#       event tacit subscribes to, in a busy organisation's proportions, over 1,250 items
#       in 50 repositories and 5 installations, 100 of them with an open intent (seeded
#       before each tacit phase: the `labeled` deliveries are sent, and the script waits
#       until every intent is open and its effects are done). tacit talks to
#       bench/fake_github.py (GITHUB_API_URL; on the load CPU), with write pacing off
#       (TACIT_WRITE_INTERVAL_MS=0, TACIT_WRITES_PER_MINUTE=0: every write is made during
#       the run instead of queued). The fixed-rate phase lasts PACED_SECONDS (default 20);
#       its latencies are also reported per kind of delivery; at its end the script reads
#       tacit's database: deliveries processed during it (per second) and the backlog.
#       CALLS=1 adds, after the runs, one pass per kind (fresh tacit, database and fake
#       GitHub counters; the intents seeded; then CALLS_N deliveries of that kind alone,
#       default 200, at 100/s, until tacit has processed them and done every effect): API
#       calls and token mints per delivery, by kind. CALLS=only runs just that pass.
#   PERF=1 also samples tacit's stacks during each fixed-rate phase (perf record -g,
#       cpu-clock at 499 Hz, on-CPU time only) and writes perf report's text to
#       bench/results/perf-paced-STAMP-runN.txt. Every RESULT line says sys_share_paced:
#       the kernel's share of the server's CPU time at the fixed rate (fsync, sockets).
#   MIX=0 bench/compare.sh: one kind of delivery, GitHub's example `issues.opened`
#       (EVENT/PAYLOAD below select another; setting EVENT also means MIX=0).
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
if [ -n "${EVENT:-}" ]; then MIX="${MIX:-0}"; else MIX="${MIX:-1}"; fi
EVENT="${EVENT:-issues}"; PAYLOAD="${PAYLOAD:-issues/opened.1.json}"
export EVENT
CALLS="${CALLS:-0}"; CALLS_N="${CALLS_N:-200}"; MIX_N="${MIX_N:-4000}"
PACED_SECS="$SECS"; [ "$MIX" = 1 ] && PACED_SECS="${PACED_SECONDS:-20}"
FAKE_PORT=18190
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
PID=""; FAKE_PID=""
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null
  [ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null
  wait 2>/dev/null; rm -rf "$WORK"
}
trap cleanup EXIT
mkdir -p bench/results
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
if [ "$CALLS" = only ]; then RESULTS="bench/results/mixcalls-$STAMP.txt"
elif [ "$MIX" = 1 ]; then RESULTS="bench/results/compare-mix-$STAMP.txt"
else RESULTS="bench/results/compare-$STAMP.txt"; fi

# An `issues.opened` delivery (GitHub's example payload) with an installation: tacit
# records it, then processes it (ignored: no intent, no GitHub call).
PAYLOAD_FILE="tests/fixtures/webhooks/$PAYLOAD"
if [ -n "${COMMENT_BODY:-}" ]; then
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["comment"]["body"]=sys.argv[2]; json.dump(d,sys.stdout)' \
    "$PAYLOAD_FILE" "$COMMENT_BODY" > "$WORK/payload.json"
  PAYLOAD_FILE="$WORK/payload.json"
fi
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["installation"]={"id":1}; sys.stdout.write(json.dumps(d,separators=(",",":")))' "$PAYLOAD_FILE" > "$WORK/body.json"
SECRET=bench-webhook-secret-0123456789
SIGNATURE="sha256=$(openssl dgst -sha256 -hmac "$SECRET" -r < "$WORK/body.json" | cut -d' ' -f1)"
if [ "$MIX" = 1 ]; then
  python3 bench/make_mix.py "$SECRET" "$MIX_N" "$WORK/mix"
  cp "$WORK/mix/mix.txt" "$WORK/bodies.txt"
  # The check delivery of start_checked: a plain comment on an item without an intent.
  grep -m1 ' issue_comment comment ' "$WORK/bodies.txt" | cut -d' ' -f4- | tr -d '\n' > "$WORK/body.json"
  SIGNATURE="sha256=$(openssl dgst -sha256 -hmac "$SECRET" -r < "$WORK/body.json" | cut -d' ' -f1)"
  EVENT=issue_comment
else
  python3 bench/make_bodies.py "$PAYLOAD_FILE" "$SECRET" "$ITEMS" "$WORK/bodies.txt"
fi
CLK_TCK="$(getconf CLK_TCK)"

cpu_ticks() { # utime+stime of all threads, in clock ticks
  sed 's/^.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'
}
sys_ticks() { # stime alone (the kernel's share: fsync, sockets)
  sed 's/^.*) //' "/proc/$1/stat" | awk '{print $13}'
}
peak_rss_kib() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }

post_one() { # status code of one signed delivery
  curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$1/api/github/webhooks" \
    -H 'Content-Type: application/json' -H "X-GitHub-Event: $EVENT" \
    -H "X-GitHub-Delivery: check-$RANDOM-$RANDOM" -H "X-Hub-Signature-256: $SIGNATURE" \
    --data-binary @"$WORK/body.json"
}

start_fake() { # the fake GitHub of the mix, fresh counters
  [ "$MIX" = 1 ] || return 0
  [ -n "$FAKE_PID" ] && { kill "$FAKE_PID" 2>/dev/null; wait "$FAKE_PID" 2>/dev/null || true; }
  taskset -c "$LOAD_CPU" python3 bench/fake_github.py "$FAKE_PORT" "${WORLD:-$WORK/mix/world.json}" &
  FAKE_PID=$!
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$FAKE_PORT/_counts" >/dev/null && return; sleep 0.05; done
  echo "the fake GitHub did not start" >&2; exit 1
}

start_tacit() { # $1 port, $2 run dir
  mkdir -p "$2"
  local api=http://127.0.0.1:9
  if [ "$MIX" = 1 ]; then start_fake; api="http://127.0.0.1:$FAKE_PORT"; fi
  ( cd "$2" && exec env APP_ID=1 PRIVATE_KEY_PATH="$ROOT/tests/fixtures/test-app-key.pem" \
      WEBHOOK_SECRET="$SECRET" HOST=127.0.0.1 PORT="$1" DATABASE_URL="sqlite://$2/bench.db" \
      GITHUB_API_URL="$api" TACIT_WRITE_INTERVAL_MS=0 TACIT_WRITES_PER_MINUTE=0 LOG_LEVEL=warn \
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
  # (done_at_intake: recorded as done when received, never processed)
  python3 -c "import sqlite3;c=sqlite3.connect('file:$1/bench.db?mode=ro',uri=True);print(' '.join(f'{s}={n}' for s,n in c.execute(\"select case when state='done' and attempts=0 then 'done_at_intake' else state end s,count(*) from deliveries group by s\")))"
}

tacit_query() { # one number from a tacit database
  python3 -c "import sqlite3,sys;c=sqlite3.connect('file:$1/bench.db?mode=ro',uri=True);print(c.execute(sys.argv[1]).fetchone()[0])" "$2"
}

seed_intents() { # $1 server, $2 port, $3 dir: the mix's seeded intents, opened and settled
  [ "$MIX" = 1 ] || return 0
  local n; n="$(wc -l < "$WORK/mix/seed.txt")"
  taskset -c "$LOAD_CPU" "$PACE" "127.0.0.1:$2" 100 "$(python3 -c "print($n / 100)")" 4 "$WORK/mix/seed.txt" issues "seed$RANDOM" >/dev/null
  [ "$1" = tacit ] || return 0
  local open busy
  for _ in $(seq 1 300); do
    open="$(tacit_query "$3" "select count(*) from intents where is_open = 1 and status_comment_id is not null")"
    busy="$(tacit_query "$3" "select (select count(*) from deliveries where state = 'pending') + (select count(*) from effects where state = 'pending')")"
    [ "$open" -ge "$n" ] && [ "$busy" = 0 ] && return 0
    sleep 0.1
  done
  echo "seeded intents did not open ($open of $n open, $busy pending); log:" >&2
  grep -v ' INFO ' "$3/server.log" | tail -20 >&2; exit 1
}

log_problems() { # warnings and errors in a tacit log, counted
  grep -c -E ' (WARN|ERROR) ' "$1/server.log" || true
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
  seed_intents "$server" "$port" "$WORK/$server-$run-max"
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
  [ "$server" = tacit ] && extra="$extra max_db:$(tacit_states "$WORK/$server-$run-max" | tr ' ' ',') max_log_problems=$(log_problems "$WORK/$server-$run-max")"
  stop_server

  # Phase 2, fresh process and database: a fixed 1,000 deliveries/s (open loop).
  local pdir="$WORK/$server-$run-paced" done0=0 done1=0 backlog=0 t0 t1
  start_checked "$server" "$port" "$pdir"
  seed_intents "$server" "$port" "$pdir"
  taskset -c "$LOAD_CPU" "$PACE" "127.0.0.1:$port" "$RATE" "$WARM" "$CONNS" "$WORK/bodies.txt" "$EVENT" "pwarm$run$server" >/dev/null
  sleep 0.5
  if [ "$server" = tacit ]; then
    done0="$(tacit_query "$pdir" "select count(*) from deliveries where state = 'done' and attempts > 0")"
  fi
  t0="$(date +%s.%N)"
  c0="$(cpu_ticks "$PID")"; s0="$(sys_ticks "$PID")"
  local perf_pid=""
  if [ -n "${PERF:-}" ] && [ "$server" = tacit ]; then
    perf record -q -F 499 -e cpu-clock -g -p "$PID" -o "$WORK/perf-$run.data" 2>/dev/null &
    perf_pid=$!
  fi
  line="$(taskset -c "$LOAD_CPU" "$PACE" "127.0.0.1:$port" "$RATE" "$PACED_SECS" "$CONNS" "$WORK/bodies.txt" "$EVENT" "pace$run$server")"
  c1="$(cpu_ticks "$PID")"; s1="$(sys_ticks "$PID")"
  if [ -n "$perf_pid" ]; then
    kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true
    perf report -i "$WORK/perf-$run.data" --stdio --no-children --percent-limit 0.5 2>/dev/null \
      > "$ROOT/bench/results/perf-paced-$STAMP-run$run.txt" || true
  fi
  extra="$extra sys_share_paced=$(python3 -c "print(round(($s1 - $s0) / max($c1 - $c0, 1), 2))")"
  if [ "$server" = tacit ]; then
    t1="$(date +%s.%N)"
    done1="$(tacit_query "$pdir" "select count(*) from deliveries where state = 'done' and attempts > 0")"
    backlog="$(tacit_query "$pdir" "select count(*) from deliveries where state = 'pending'")"
    extra="$extra processed_per_s=$(python3 -c "print(round(($done1 - $done0) / ($t1 - $t0)))") backlog=$backlog backlog_s=$(python3 -c "print(round($backlog / $RATE, 2))")"
  fi
  local pok p50 p99 pmax perr cpu_paced rss_paced
  pok="$(kv ok "$line")"; p50="$(kv p50_us "$line")"; p99="$(kv p99_us "$line")"; pmax="$(kv max_us "$line")"
  perr=$(( $(kv bad "$line") + $(kv errors "$line") ))
  cpu_paced="$(python3 -c "print(round(($c1 - $c0) * 1e6 / $CLK_TCK / max($pok, 1), 1))")"
  rss_paced="$(peak_rss_kib "$PID")"
  [ "$server" = tacit ] && extra="$extra paced_db:$(tacit_states "$pdir" | tr ' ' ',') paced_log_problems=$(log_problems "$pdir")"
  local kinds; kinds="$(kv kinds "$line")"
  [ -n "$kinds" ] && extra="$extra kinds=$kinds"
  stop_server

  local rss=$(( rss_max > rss_paced ? rss_max : rss_paced ))
  local load; load="$(cut -d' ' -f1 /proc/loadavg)"
  printf 'RESULT server=%s run=%s loadavg=%s rps=%s cpu_us_max=%s non2xx=%s sockerr=%s p50_us=%s p99_us=%s max_us=%s paced_ok=%s paced_err=%s cpu_us_paced=%s rss_kib=%s rss_max_kib=%s rss_paced_kib=%s%s\n' \
    "$server" "$run" "$load" "$rps" "$cpu_max" "$bad" "$sock" "$p50" "$p99" "$pmax" "$pok" "$perr" "$cpu_paced" "$rss" "$rss_max" "$rss_paced" "$extra" \
    | tee -a "$RESULTS"
}

calls_pass() { # API calls and token mints per delivery, one kind at a time
  local port=18290 kinds kind dir counts n i=0
  kinds="$(python3 -B -c 'import sys; sys.path.insert(0, "bench"); import make_mix; print(" ".join(make_mix.KINDS))')"
  echo "# calls per delivery: per kind, fresh tacit, database and fake GitHub; 100 intents seeded and settled, counters zeroed, then $CALLS_N deliveries of the kind at 100/s; counted once tacit has processed them and done every effect" | tee -a "$RESULTS"
  for kind in $kinds; do
    i=$((i + 1)); dir="$WORK/calls-$kind"
    python3 bench/make_mix.py "$SECRET" "$CALLS_N" "$WORK/calls-mix-$kind" --kind "$kind"
    WORLD="$WORK/calls-mix-$kind/world.json" start_checked tacit "$port" "$dir"
    seed_intents tacit "$port" "$dir"
    curl -sf "http://127.0.0.1:$FAKE_PORT/_reset" >/dev/null
    taskset -c "$LOAD_CPU" "$PACE" "127.0.0.1:$port" 100 "$(python3 -c "print($CALLS_N / 100)")" 4 "$WORK/calls-mix-$kind/mix.txt" issues "calls$i" >/dev/null
    for _ in $(seq 1 600); do
      [ "$(tacit_query "$dir" "select (select count(*) from deliveries where state = 'pending') + (select count(*) from effects where state = 'pending')")" = 0 ] && break
      sleep 0.1
    done
    sleep 0.5
    counts="$(curl -sf "http://127.0.0.1:$FAKE_PORT/_counts")"
    printf 'CALLS kind=%s deliveries=%s states=%s log_problems=%s counts=%s\n' "$kind" "$CALLS_N" \
      "$(tacit_states "$dir" | tr ' ' ',')" "$(log_problems "$dir")" "$counts" | tee -a "$RESULTS"
    stop_server
    port=$((port + 1))
  done
}

{
  echo "# bench/compare.sh $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "# machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
  if [ "$MIX" = 1 ]; then
    echo "# deliveries: the mix (bench/make_mix.py): $MIX_N deliveries over 1,250 items in 50 repositories, 5 installations; 100 intents seeded; fake GitHub bench/fake_github.py; write pacing off"
    echo "# kinds in the file: $(cut -d' ' -f3 "$WORK/bodies.txt" | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')"
  else
    echo "# deliveries: $EVENT ($PAYLOAD${COMMENT_BODY:+, comment body: $COMMENT_BODY})"
  fi
  echo "# tacit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?') (release), probot $PROBOT_VERSION on node $(node --version), wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}')"
  echo "# runs=$RUNS seconds=$SECS paced_seconds=$PACED_SECS connections=$CONNS paced_rate=$RATE server_cpu=$SERVER_CPU load_cpu=$LOAD_CPU"
} | tee "$RESULTS"

if [ "$CALLS" != only ]; then
  for run in $(seq 1 "$RUNS"); do
    measure tacit "$run"
    measure probot "$run"
  done
fi
[ "$CALLS" = 0 ] || [ "$MIX" != 1 ] || calls_pass

python3 bench/compare_report.py "$RESULTS"
echo "raw results: $RESULTS"
