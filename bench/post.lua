-- wrk script: POSTs a small chat request and prints one machine-readable line when done.
-- Environment: BENCH_LABEL (a tag copied into the line), BENCH_KEY (client key, default bench-key),
-- BENCH_MODEL (default gpt-4o-mini), BENCH_SHAPE (openai: a chat completion request, the default;
-- anthropic: the same question as an Anthropic Messages request, for /v1/messages).
local model = os.getenv("BENCH_MODEL") or "gpt-4o-mini"
wrk.method = "POST"
if os.getenv("BENCH_SHAPE") == "anthropic" then
    wrk.body = '{"model":"' .. model .. '","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}'
    wrk.headers["anthropic-version"] = "2023-06-01"
else
    wrk.body = '{"model":"' .. model .. '","messages":[{"role":"user","content":"hi"}]}'
end
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_KEY") or "bench-key")

done = function(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        'BENCH_JSON {"label":"%s","requests":%d,"duration_us":%d,"bytes":%d,' ..
        '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
        '"rps":%.1f,"p50_us":%.1f,"p90_us":%.1f,"p99_us":%.1f,"mean_us":%.1f,"max_us":%.1f}\n',
        os.getenv("BENCH_LABEL") or "", summary.requests, summary.duration, summary.bytes,
        e.connect, e.read, e.write, e.status, e.timeout,
        summary.requests / (summary.duration / 1e6),
        latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max))
end
