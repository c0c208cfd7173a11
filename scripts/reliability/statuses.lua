-- wrk script for scripts/reliability-load.py: POSTs one chat completion per request and counts
-- the answers by status, and the 429s that lack a Retry-After header. Prints one line
-- "STATUS_JSON {...}" at the end. The client key comes from $RELIABILITY_KEY.
wrk.method = "POST"
wrk.path = "/v1/chat/completions"
wrk.body = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"max_tokens":8}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("RELIABILITY_KEY") or "")

local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    counts = {}
    no_retry_after = 0
    retry_after_max = 0
end

function response(status, headers, body)
    counts[status] = (counts[status] or 0) + 1
    if status == 429 then
        local value = nil
        for name, v in pairs(headers) do
            if string.lower(name) == "retry-after" then value = v end
        end
        local seconds = value and tonumber(value)
        if not seconds or seconds < 1 then
            no_retry_after = no_retry_after + 1
        elseif seconds > retry_after_max then
            retry_after_max = seconds
        end
    end
end

function done(summary, latency, requests)
    local total = {}
    local missing = 0
    local longest = 0
    for _, thread in ipairs(threads) do
        for status, n in pairs(thread:get("counts")) do
            total[status] = (total[status] or 0) + n
        end
        missing = missing + thread:get("no_retry_after")
        longest = math.max(longest, thread:get("retry_after_max"))
    end
    local parts = {}
    for status, n in pairs(total) do
        table.insert(parts, string.format('"%d":%d', status, n))
    end
    local errors = summary.errors
    io.write(string.format(
        'STATUS_JSON {"statuses":{%s},"no_retry_after":%d,"retry_after_max":%d,"requests":%d,"duration_us":%d,' ..
        '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
        table.concat(parts, ","), missing, longest, summary.requests, summary.duration,
        errors.connect, errors.read, errors.write, errors.status, errors.timeout,
        latency:percentile(50), latency:percentile(99), latency.max))
end
