-- wrk script: at the end, one JSON line with what bench/run.py needs (wrk --latency
-- prints 50/75/90/99 but no 95th percentile). Latencies in microseconds.
done = function(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        '{"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
        '"p50":%d,"p95":%d,"p99":%d,"max":%d,"mean":%.1f}\n',
        summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
        latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max, latency.mean))
end
