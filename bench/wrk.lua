-- make bench: the request script for Debian's wrk (one thread, -t1).
-- BENCH_COOKIE: the Cookie header sent with every request.
-- BENCH_AUTHORIZATION: an Authorization header sent with every request, if set (auth_basic).
-- BENCH_TOKENS + BENCH_TOKEN_COOKIE: a file of tokens, one a line; each request carries
--   the next one (tier 3: every token is used once). When they run out the thread stops
--   and `exhausted` says so (the run is then void: the driver sizes pools to avoid it).
-- done() prints one JSON line; non-200 answers are counted (a 303 to /login is not a page).

local cookie = os.getenv("BENCH_COOKIE") or ""
local tokens_file = os.getenv("BENCH_TOKENS") or ""
local token_cookie = os.getenv("BENCH_TOKEN_COOKIE") or ""
local authorization = os.getenv("BENCH_AUTHORIZATION") or ""
local tokens = {}
local count = 0
local position = 0
local static_request = nil
not_ok = 0
exhausted = 0

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  if tokens_file ~= "" then
    for line in io.lines(tokens_file) do
      count = count + 1
      tokens[count] = line
    end
  else
    local headers = { ["Cookie"] = cookie }
    if authorization ~= "" then
      headers["Authorization"] = authorization
    end
    static_request = wrk.format("GET", wrk.path, headers)
  end
end

function request()
  if static_request then
    return static_request
  end
  position = position + 1
  if position > count then
    exhausted = exhausted + 1
    position = count
    wrk.thread:stop()
  end
  local header = token_cookie .. "=" .. tokens[position]
  if cookie ~= "" then
    header = cookie .. "; " .. header
  end
  return wrk.format("GET", wrk.path, { ["Cookie"] = header })
end

function response(status, headers, body)
  if status ~= 200 then
    not_ok = not_ok + 1
  end
end

function done(summary, latency, requests)
  local bad, spent = 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("not_ok")
    spent = spent + thread:get("exhausted")
  end
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "not_ok": %d, "exhausted": %d, '
      .. '"socket_errors": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, bad, spent,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max
  ))
end
