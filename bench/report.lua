-- wrk script: at the end, one JSON line with what bench/run.py needs (wrk --latency
-- prints 50/75/90/99 but no 95th percentile). Latencies in microseconds.
-- wrk counts the answers >= 400 ("status"); with BENCH_EVERY_STATUS=1 (make bench-smoke)
-- this script counts the other answers outside 2xx too ("other": 1xx, 3xx). Only then:
-- a `response` function makes wrk hand every answer's headers and body to Lua.

local threads = {}

setup = function(thread)
    table.insert(threads, thread)
end

init = function(args)
    other = 0
end

if os.getenv("BENCH_EVERY_STATUS") == "1" then
    response = function(status, headers, body)
        if status < 200 or (status >= 300 and status < 400) then
            other = other + 1
        end
    end
end

done = function(summary, latency, requests)
    local e = summary.errors
    local counted = 0
    for _, thread in ipairs(threads) do
        counted = counted + (thread:get("other") or 0)
    end
    io.write(string.format(
        '{"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
        '"other":%d,"p50":%d,"p95":%d,"p99":%d,"max":%d,"mean":%.1f}\n',
        summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
        counted, latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, latency.mean))
end
