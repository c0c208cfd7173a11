#!/usr/bin/env python3
"""Streaming timings, direct vs through quota-proxy (standard library only).

For each repetition it opens a fresh TCP connection to each target (alternating), POSTs a
`"stream": true` chat request and records, from just before connect():
  first_byte_ms   the first byte of the response (status line),
  first_event_ms  the first SSE `data:` event,
  last_byte_ms    the end of the body (the chunked terminator, Content-Length, or EOF),
  and the arrival time of every event.

It prints one JSON object with the medians per target and a buffering check: an answer that is
relayed chunk by chunk shows its events spread over the upstream's pacing; a buffered one shows
them all arriving at once, at the end.

  sse_timing.py --target direct=127.0.0.1:8601:sk-bench-000001 \
                --target proxy=127.0.0.1:8045:bench-key --model gpt-4o-mini --reps 10

A target named `NAME@anthropic=host:port:key` sends the same question as an Anthropic Messages
request (`POST /v1/messages`): through quota-proxy to an OpenAI account it measures a stream
translated event by event.
"""

import argparse
import json
import socket
import statistics
import sys
import time


def one_request(host, port, key, model, timeout, shape="openai"):
    question = {"model": model, "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    path, extra = "/v1/chat/completions", ""
    if shape == "anthropic":
        question["max_tokens"] = 64
        path, extra = "/v1/messages", "anthropic-version: 2023-06-01\r\n"
    body = json.dumps(question, separators=(",", ":")).encode()
    request = (
        f"POST {path} HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        f"Authorization: Bearer {key}\r\n"
        f"{extra}"
        f"Content-Type: application/json\r\n"
        f"Accept: text/event-stream\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Connection: close\r\n\r\n"
    ).encode() + body

    t0 = time.perf_counter()
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.sendall(request)
    data = b""
    first_byte = None
    header_end = -1
    status = None
    chunked = False
    content_length = None
    events_seen = 0
    event_times = []
    last_byte = None
    try:
        while True:
            chunk = sock.recv(65536)
            now = time.perf_counter()
            if not chunk:
                last_byte = now
                break
            if first_byte is None:
                first_byte = now
            data += chunk
            if header_end < 0:
                header_end = data.find(b"\r\n\r\n")
                if header_end < 0:
                    continue
                head = data[:header_end].decode("latin-1").split("\r\n")
                status = int(head[0].split()[1])
                for line in head[1:]:
                    name, _, value = line.partition(":")
                    name = name.strip().lower()
                    if name == "transfer-encoding" and "chunked" in value.lower():
                        chunked = True
                    elif name == "content-length":
                        content_length = int(value.strip())
            payload = data[header_end + 4:]
            count = payload.count(b"data:")
            while events_seen < count:
                event_times.append(now)
                events_seen += 1
            if chunked and payload.endswith(b"0\r\n\r\n") and (payload == b"0\r\n\r\n" or payload.endswith(b"\r\n0\r\n\r\n")):
                last_byte = now
                break
            if content_length is not None and len(payload) >= content_length:
                last_byte = now
                break
    finally:
        sock.close()
    ms = lambda t: None if t is None else (t - t0) * 1000.0
    return {
        "status": status,
        "first_byte_ms": ms(first_byte),
        "first_event_ms": ms(event_times[0]) if event_times else None,
        "last_byte_ms": ms(last_byte),
        "event_ms": [ms(t) for t in event_times],
        "bytes": len(data),
    }


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", action="append", required=True, help="name=host:port:key")
    parser.add_argument("--model", default="gpt-4o-mini")
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=1, help="untimed requests per target first")
    parser.add_argument("--timeout", type=float, default=30.0)
    args = parser.parse_args()

    targets = []
    for spec in args.target:
        name, _, rest = spec.partition("=")
        name, _, shape = name.partition("@")
        host, port, key = rest.split(":", 2)
        targets.append((name, host, int(port), key, shape or "openai"))

    for _ in range(args.warmup):
        for name, host, port, key, shape in targets:
            one_request(host, port, key, args.model, args.timeout, shape)

    runs = {name: [] for name, *_ in targets}
    for _ in range(args.reps):
        for name, host, port, key, shape in targets:
            result = one_request(host, port, key, args.model, args.timeout, shape)
            if result["status"] != 200:
                print(f"sse_timing: {name} answered HTTP {result['status']}", file=sys.stderr)
                sys.exit(1)
            runs[name].append(result)

    summary = {"reps": args.reps, "targets": {}}
    for name, results in runs.items():
        events = [len(r["event_ms"]) for r in results]
        # Events that reached the client clearly before the end of the answer (more than one
        # inter-event pause earlier). A relay that buffers the whole answer has none.
        gaps = []
        early = []
        for r in results:
            times = r["event_ms"]
            gaps += [b - a for a, b in zip(times, times[1:])]
            early.append(sum(1 for t in times if r["last_byte_ms"] - t > 10.0))
        summary["targets"][name] = {
            "first_byte_ms": median([r["first_byte_ms"] for r in results]),
            "first_event_ms": median([r["first_event_ms"] for r in results]),
            "last_byte_ms": median([r["last_byte_ms"] for r in results]),
            "first_byte_ms_all": [round(r["first_byte_ms"], 3) for r in results],
            "events": median(events),
            "median_gap_ms": median(gaps),
            "events_early_min": min(early),
            "bytes": median([r["bytes"] for r in results]),
        }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
