-- wrk script: POST /api/private/order, a MARKET order with a unique clientOrderId per request
-- (run id x thread x counter), sides alternating so the simulated price stays put.
-- Env: BENCH_KEY (default trader-dev-key), BENCH_SYMBOL (BTCUSDT), BENCH_QTY (0.001),
--      BENCH_RUN (run id, default from the clock; keep it <= 16 characters).
-- Prints status-code counts at the end (wrk itself only counts "non-2xx or 3xx").

local threads = {}

function setup(thread)
  run_id = run_id or os.getenv("BENCH_RUN") or string.format("%x", os.time())
  thread:set("tid", #threads + 1)
  thread:set("run", run_id)
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  statuses = {}
  body_format = '{"clientOrderId":"wrk-' .. run .. '-' .. tid .. '-%d","symbol":"' .. (os.getenv("BENCH_SYMBOL") or "BTCUSDT")
    .. '","side":"%s","type":"MARKET","quantity":"' .. (os.getenv("BENCH_QTY") or "0.001") .. '"}'
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-API-Key"] = os.getenv("BENCH_KEY") or "trader-dev-key"
end

function request()
  counter = counter + 1
  local body = string.format(body_format, counter, counter % 2 == 0 and "BUY" or "SELL")
  return wrk.format(nil, "/api/private/order", nil, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do total[status] = (total[status] or 0) + n end
  end
  local line = "wrk-status"
  for status, n in pairs(total) do line = line .. " status_" .. status .. "=" .. n end
  print(line)
end
