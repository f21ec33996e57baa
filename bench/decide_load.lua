-- wrk script: POST /v1/decisions with a realistic mix and a unique id per request.
-- Each wrk thread numbers its own requests under its own prefix, so ids never repeat
-- (a repeated id would be an idempotent replay, not a new ledger entry).
local threads = {}
local counter = 0
local next_tid = 0  -- in the main state: numbers the threads
local key = os.getenv("LIAISON_BENCH_KEY")
local run = os.getenv("LIAISON_BENCH_RUN") or "run"

local templates = {
  '{"id":"%s","at":"2025-08-15T12:%02d:00-04:00","actor":{"id":"officer-1","agency":"MPD","role":"officer","unit":"1D"},"action":"database_inquiry","database":"WALES","purposes":["warrant_check"],"subject":{"id":"person-%d","custody":"stopped"}}',
  '{"id":"%s","at":"2025-08-15T12:%02d:00-04:00","actor":{"id":"officer-1","agency":"MPD","role":"officer","unit":"1D"},"action":"share_information","purposes":["assist_federal_agency"],"subject":{"id":"person-%d","custody":"stopped"},"recipient":{"agency":"ICE-ERO","type":"federal_immigration"},"data_classes":["identity","location"]}',
  '{"id":"%s","at":"2025-08-15T12:%02d:00-04:00","actor":{"id":"officer-1","agency":"MPD","role":"officer","unit":"1D"},"action":"database_inquiry","database":"NCIC","purposes":["immigration_status"],"subject":{"id":"person-%d","custody":"stopped"}}',
  '{"id":"%s","at":"2025-08-20T12:%02d:00-04:00","actor":{"id":"officer-1","agency":"MPD","role":"officer","unit":"1D"},"action":"share_information","purposes":["assist_federal_agency"],"subject":{"id":"person-%d","custody":"mpd_custody"},"recipient":{"agency":"ICE-ERO","type":"federal_immigration"},"data_classes":["release_datetime"]}',
}

function setup(thread)
  next_tid = next_tid + 1
  thread:set("tid", next_tid)  -- a global in that thread's own state
  table.insert(threads, thread)
end

function init(args)
  counter = 0
end

function request()
  counter = counter + 1
  local template = templates[(counter % #templates) + 1]
  local id = string.format("%s-t%d-%d", run, tid, counter)  -- tid: the thread's global
  local body = string.format(template, id, counter % 60, counter)
  return wrk.format("POST", "/v1/decisions",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key}, body)
end
