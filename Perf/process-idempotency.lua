-- wrk script: Perf/process.lua with a new Idempotency-Key on every request (never a replay):
-- "<run>-<thread>-<n>", <run> from the script's argument (wrk ... -s this.lua URL -- RUN).
local counter, n, run = 0, 0, "run"
local threads = 0
tid = 0   -- a global: setup() sets it in each thread's own Lua state
setup = function(thread)
    threads = threads + 1
    thread:set("tid", threads)
end
init = function(args)
    run = args[1] or "run"
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
    counter = counter % 10000 + 1
    n = n + 1
    local headers = { ["Content-Type"] = "application/json", ["Idempotency-Key"] = run .. "-" .. tostring(tid) .. "-" .. n }
    return wrk.format(nil, nil, headers, '{"user_id": ' .. counter .. ', "action": "purchase"}')
end
