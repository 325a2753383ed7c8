-- The soak mix, per connection in turn: 7 valid requests, 1 with an unknown token (401), 1 POST with
-- a read-only token (403), 1 with a token whose rate limit is hit (429, sometimes 200). Tokens come
-- from the environment; a fixed think time per request (TG_SOAK_DELAY_MS) holds the rate below
-- capacity. At the end, one JSON line: latencies (µs) and the count of each status.
local valid = os.getenv("TG_SOAK_VALID")
local readonly = os.getenv("TG_SOAK_READONLY")
local limited = os.getenv("TG_SOAK_LIMITED")
local unknown = os.getenv("TG_SOAK_UNKNOWN")
local pause = tonumber(os.getenv("TG_SOAK_DELAY_MS") or "0")
local path = "/rest/api/2/issue/TG-1"

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  counts = {}
  n = 0
end

function request()
  n = n + 1
  local k = n % 10
  if k == 7 then
    return wrk.format("GET", path, { Authorization = "Bearer " .. unknown })
  elseif k == 8 then
    return wrk.format("POST", path, { Authorization = "Bearer " .. readonly, ["Content-Length"] = "0" })
  elseif k == 9 then
    return wrk.format("GET", path, { Authorization = "Bearer " .. limited })
  end
  return wrk.format("GET", path, { Authorization = "Bearer " .. valid })
end

function delay()
  return pause
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local parts = {}
  for _, t in ipairs(threads) do
    local c = t:get("counts")
    for status, v in pairs(c) do
      parts[#parts + 1] = string.format('"%d":%d', status, v)
    end
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"durationUs":%d,"p50":%d,"p99":%d,"p999":%d,"socketErrors":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency:percentile(99.9), e.connect + e.read + e.write + e.timeout, table.concat(parts, ",")))
end
