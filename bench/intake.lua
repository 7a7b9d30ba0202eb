-- wrk script: POST one signed webhook body with a fresh X-GitHub-Delivery per request.
-- The body and its signature are fixed (the delivery id is not signed, as on GitHub).
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("id", thread_id)
  thread_id = thread_id + 1
  table.insert(threads, thread)
end

function init(args)
  wrk.method = "POST"
  wrk.body = os.getenv("BODY")
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-GitHub-Event"] = os.getenv("EVENT") or "issues"
  wrk.headers["X-Hub-Signature-256"] = os.getenv("SIGNATURE")
  run = os.getenv("RUN") or "r"
end

function request()
  counter = counter + 1
  wrk.headers["X-GitHub-Delivery"] = run .. "-" .. id .. "-" .. counter
  return wrk.format(nil, "/api/github/webhooks")
end
