-- wrk script: POST signed webhook deliveries with a fresh X-GitHub-Delivery per request.
-- Bodies: BODIES names a file of `sha256=HEX JSON` lines (bench/make_bodies.py; the event
-- is EVENT's) or `sha256=HEX EVENT KIND JSON` lines (bench/make_mix.py; each line its own
-- event), used in turn; otherwise BODY and SIGNATURE give one body. The delivery id is not signed (as on
-- GitHub), so it can change per request while body and signature stay valid.
local counter = 0
local thread_id = 0
local bodies = {}

function setup(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
end

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  local event = os.getenv("EVENT") or "issues"
  wrk.headers["X-GitHub-Event"] = event
  local path = os.getenv("BODIES")
  if path then
    for line in io.lines(path) do
      local sig, rest = line:match("^(%S+) (.*)$")
      if rest:sub(1, 1) == "{" then
        table.insert(bodies, { sig = sig, event = event, body = rest })
      else
        local ev, _, body = rest:match("^(%S+) (%S+) (.*)$")
        table.insert(bodies, { sig = sig, event = ev, body = body })
      end
    end
  else
    table.insert(bodies, { sig = os.getenv("SIGNATURE"), event = event, body = os.getenv("BODY") })
  end
  run = os.getenv("RUN") or "r"
end

function request()
  counter = counter + 1
  local b = bodies[(counter - 1) % #bodies + 1]
  wrk.headers["X-GitHub-Delivery"] = run .. "-" .. id .. "-" .. counter
  wrk.headers["X-Hub-Signature-256"] = b.sig
  wrk.headers["X-GitHub-Event"] = b.event
  return wrk.format(nil, "/api/github/webhooks", nil, b.body)
end

-- One machine-readable line for bench/compare.sh.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK requests=%d duration_us=%d status_errors=%d socket_errors=%d p50_us=%d p99_us=%d\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
