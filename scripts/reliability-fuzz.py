#!/usr/bin/env python3
"""Fuzzes every HTTP route of quota-proxy and every control socket, then checks that nothing broke.

Starts the upstream simulator, four accounts (openai with a model list, openai for any model,
anthropic, gemini) and the three services in a temporary folder, then:

  HTTP     N cases (seeded) to every route: /v1/chat/completions, /v1/completions, /v1/embeddings,
           /v1/responses, /v1/models[/{id}], /v1/messages[/count_tokens],
           /v1beta/models[/{m}[:generateContent|:streamGenerateContent|:countTokens]], /healthz,
           /metrics, /dashboard/…, /admin/api/…: random bytes, mutated requests, malformed heads
           (bad request lines, folded or duplicate headers, TE+CL, bad chunks, NULs, no Host),
           huge heads, URIs and headers, path traversal, random and deeply nested JSON, huge model
           names, wrong and canary keys, pipelining, truncated requests, TLS and HTTP/2 prefaces,
           bodies declared or sent over 32 MiB; plus slow-trickle connections that the header
           deadline must close.
  sockets  M lines over proxy.sock, scheduler.sock and refresher.sock: random bytes, random JSON,
           known and unknown commands with random and path-traversal arguments, deep nesting,
           lines over 1 MiB, pipelined lines, partial lines closed early and partial lines left
           open until the 10 s line deadline.

A figure fails (exit 1) when: a service exits; an answer is 500 or not HTTP; a complete request
gets neither an answer nor a close; a control line gets no answer, a non-JSON one or more than
one; an over-long line is not answered request_too_large; a held line is not closed by the
deadline; a dashboard/admin path returns a file outside the dashboard; after the fuzz /healthz,
a real OpenAI, Anthropic and Gemini request or a status call fails; a service's peak RSS is over
--max-rss-mib; a key, token or canary appears in a log or the request log.

Prints the figures for RELIABILITY.md. Build first: swift build -c release (or pass --bin).
"""

import argparse
import concurrent.futures
import json
import os
import random
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "reliability"))
import stack as st  # noqa: E402

CANARY = "sk-canary-7f3e91d0c2b84a55"
KNOWN_COMMANDS = ["help", "ping", "status", "reload", "accounts", "cooldowns", "clear-cooldown", "enable", "disable",
                  "warmup", "test", "refresh", "plan", "scan"]
ACCOUNTS = ["oa-listed", "oa-any", "an-1", "ge-1"]


# -- HTTP cases ---------------------------------------------------------------------------------

def request_bytes(method, path, headers, body=b"", version="HTTP/1.1"):
    head = f"{method} {path} {version}\r\n".encode()
    for name, value in headers:
        head += name.encode() + b": " + (value if isinstance(value, bytes) else value.encode()) + b"\r\n"
    return head + b"\r\n" + body


class HTTPCases:
    """Seeded generator of (kind, bytes, complete) triples: complete means well framed, so the
    proxy must answer or close; incomplete ones may be waited on (the header deadline ends them)."""

    def __init__(self, rng, port):
        self.rng = rng
        self.host = f"127.0.0.1:{port}"

    def auth(self):
        r = self.rng.random()
        if r < 0.7:
            return [("Authorization", "Bearer " + st.CLIENT_KEY)]
        if r < 0.8:
            return [("x-api-key", st.CLIENT_KEY)]
        if r < 0.87:
            return [("Authorization", "Bearer " + CANARY)]
        if r < 0.92:
            return [("Authorization", "Bearer " + st.ADMIN_KEY)]
        if r < 0.96:
            return [("Authorization", self.rng.choice(["Bearer", "Basic Zm9vOmJhcg==", "Bearer  ", "bearer " + st.CLIENT_KEY]))]
        return []

    def model(self):
        r = self.rng.random()
        if r < 0.4:
            return self.rng.choice(["gpt-4o-mini", "claude-sonnet-4-5", "gemini-2.5-flash", "text-embedding-3-small"])
        if r < 0.55:
            return "m-" + "".join(self.rng.choice("abcdefghij-._/") for _ in range(self.rng.randint(1, 40)))
        if r < 0.65:
            return "x" * self.rng.choice([255, 256, 257, 1000, 65536, 4 << 20])
        if r < 0.75:
            return self.rng.choice(["../../etc/passwd", "..%2f..%2fx", "\u0000", "é" * 100, "\ud7ff" * 3, "a b", "%00", ""])
        return self.rng.choice([None, 1, 1.5e308, True, [], {}, ["gpt-4o-mini"], {"$ne": 1}])

    def json_value(self, depth=0):
        r = self.rng.random()
        if depth > 4 or r < 0.3:
            return self.rng.choice([None, True, False, 0, -1, 2 ** 63, 1e308, -0.0, "", "x" * self.rng.randint(0, 300),
                                    "\u2028\ud7ff", "\\u0000"])
        if r < 0.65:
            return {self.rng.choice(["model", "messages", "stream", "max_tokens", "contents", "input", "prompt", "k",
                                     "tools", "system", ""]) + ("" if self.rng.random() < 0.7 else str(i)):
                    self.json_value(depth + 1) for i in range(self.rng.randint(0, 6))}
        return [self.json_value(depth + 1) for _ in range(self.rng.randint(0, 5))]

    def body(self, route):
        r = self.rng.random()
        if r < 0.35:
            model = self.model()
            if route.startswith("/v1/messages"):
                obj = {"model": model, "max_tokens": self.rng.choice([1, 16, -1, 0, 10 ** 9]),
                       "messages": [{"role": self.rng.choice(["user", "assistant", "x"]), "content": self.json_value(2)}]}
            elif route.startswith("/v1beta/"):
                obj = {"contents": [{"role": "user", "parts": [{"text": self.json_value(3)}]}]}
            elif route == "/v1/embeddings":
                obj = {"model": model, "input": self.json_value(2)}
            elif route == "/v1/completions":
                obj = {"model": model, "prompt": self.json_value(2)}
            elif route == "/v1/responses":
                obj = {"model": model, "input": self.json_value(2)}
            else:
                obj = {"model": model, "messages": [{"role": "user", "content": self.json_value(2)}]}
            if self.rng.random() < 0.3:
                obj["stream"] = self.rng.choice([True, False, "yes", None])
            return json.dumps(obj).encode()
        if r < 0.55:
            return json.dumps(self.json_value()).encode()
        if r < 0.65:
            depth = self.rng.choice([600, 5000, 100000])
            opener = self.rng.choice(["[", '{"model":'])
            return ('{"model":"gpt-4o-mini","x":' + opener * depth).encode()
        if r < 0.75:
            data = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}).encode()
            return data[: self.rng.randint(0, len(data))]
        if r < 0.85:
            return bytes(self.rng.getrandbits(8) for _ in range(self.rng.randint(0, 2048)))
        return b'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"\xff\xfe\xc3\x28"}]}'

    def route(self):
        m = self.rng.choice(["gemini-2.5-flash", "gpt-4o-mini", "..%2f..%2fadmin", "x" * 300, "%ff", "a:b:c"])
        return self.rng.choice([
            ("POST", "/v1/chat/completions"), ("POST", "/v1/completions"), ("POST", "/v1/embeddings"),
            ("POST", "/v1/responses"), ("GET", "/v1/models"), ("GET", "/v1/models/" + m),
            ("POST", "/v1/messages"), ("POST", "/v1/messages/count_tokens"),
            ("POST", f"/v1beta/models/{m}:generateContent"), ("POST", f"/v1beta/models/{m}:streamGenerateContent?alt=sse"),
            ("POST", f"/v1beta/models/{m}:countTokens"), ("GET", "/v1beta/models"), ("GET", f"/v1beta/models/{m}"),
            ("GET", "/healthz"), ("GET", "/metrics"), ("GET", "/dashboard/"), ("GET", "/dashboard/dashboard.js"),
            ("GET", "/dashboard"), ("GET", "/admin/api/session"), ("GET", "/admin/api/status"),
            ("GET", "/admin/api/accounts"), ("GET", "/admin/api/timeline?hours=" + self.rng.choice(["1", "24", "0", "-1", "99999999999", "x"])),
            ("GET", "/admin/api/warmups"),
            ("GET", "/admin/api/requests?" + self.rng.choice(["limit=5", "since=1h&status=5xx", "since=%ff", "limit=-1", "model=" + "x" * 5000, "until=2026-13-40T00:00:00Z"])),
            ("GET", "/admin/api/requests/" + self.rng.choice(["0", "../../etc/passwd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "x" * 2000])),
            ("GET", "/admin/api/requests/export?format=" + self.rng.choice(["csv", "jsonl", "xml", ""])),
            ("POST", "/admin/api/warmup"), ("POST", "/admin/api/refresh"), ("POST", "/admin/api/clear-cooldown"),
            ("POST", "/admin/api/accounts/" + self.rng.choice(["..%2f..%2fvictim", "nope", "../x", "%00"]) + "/disable"),
            ("POST", "/admin/api/accounts/" + self.rng.choice(["..%2f..%2fvictim", "nope", ".hidden"]) + "/enable"),
        ])

    def headers_for(self, method, path, body):
        headers = [("Host", self.host)] + self.auth() + [("Content-Type", "application/json")]
        if path.startswith("/v1/messages") or self.rng.random() < 0.1:
            headers.append(("anthropic-version", "2023-06-01"))
        if path.startswith("/admin/api/") and self.rng.random() < 0.8:
            headers = [h for h in headers if h[0].lower() not in ("authorization", "x-api-key")]
            headers.append(("Authorization", "Bearer " + (st.ADMIN_KEY if self.rng.random() < 0.8 else st.CLIENT_KEY)))
        if method == "POST" or body:
            headers.append(("Content-Length", str(len(body))))
        return headers

    def valid(self):
        method, path = self.route()
        body = self.body(path) if method == "POST" else (b"" if self.rng.random() < 0.9 else self.body(path))
        return method, path, self.headers_for(method, path, body), body

    def next(self):
        """One case: (kind, data, complete)."""
        kind = self.rng.choices(
            ["valid-route", "mutated", "random-bytes", "bad-head", "huge", "traversal", "pipelined", "truncated",
             "preface", "oversized", "chunked"],
            weights=[30, 14, 6, 14, 5, 8, 5, 6, 3, 2, 7])[0]
        return getattr(self, "case_" + kind.replace("-", "_"))()

    def case_valid_route(self):
        method, path, headers, body = self.valid()
        if self.rng.random() < 0.1:
            method = self.rng.choice(["PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE", "CONNECT", "FOO", "get"])
        return "valid-route", request_bytes(method, path, headers, body), True

    def case_mutated(self):
        method, path, headers, body = self.valid()
        data = bytearray(request_bytes(method, path, headers, body))
        for _ in range(self.rng.randint(1, 8)):
            op = self.rng.random()
            at = self.rng.randrange(len(data)) if data else 0
            if op < 0.4 and data:
                data[at] = self.rng.getrandbits(8)
            elif op < 0.6:
                del data[at: at + self.rng.randint(1, 20)]
            elif op < 0.8:
                data[at:at] = bytes(self.rng.getrandbits(8) for _ in range(self.rng.randint(1, 20)))
            else:
                data[at:at] = data[at: at + self.rng.randint(1, 200)]
        return "mutated", bytes(data), False

    def case_random_bytes(self):
        return "random-bytes", bytes(self.rng.getrandbits(8) for _ in range(self.rng.randint(1, 4096))), False

    def case_bad_head(self):
        h = self.host
        key = "Bearer " + st.CLIENT_KEY
        body = b'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}'
        variants = [
            b"GET /healthz HTTP/1.1\r\n\r\n",  # no Host
            b"GET /healthz\r\n\r\n",
            b"GET\r\n\r\n",
            b" / HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n",
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n  b\r\n\r\n",
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n",
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nNo-Colon\r\n\r\n",
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nX: \x00\x01\x02\r\n\r\n",
            b"GET /he\x00althz HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /healthz HTTP/1.1\nHost: x\n\n",
            b"GET /healthz HTTP/1.1\rHost: x\r\r",
            f"POST /v1/chat/completions HTTP/1.1\r\nHost: {h}\r\nAuthorization: {key}\r\nContent-Length: {len(body)}\r\nContent-Length: {len(body) + 1}\r\n\r\n".encode() + body,
            f"POST /v1/chat/completions HTTP/1.1\r\nHost: {h}\r\nAuthorization: {key}\r\nContent-Length: {len(body)}\r\nTransfer-Encoding: chunked\r\n\r\n".encode() + body,
            f"POST /v1/chat/completions HTTP/1.1\r\nHost: {h}\r\nAuthorization: {key}\r\nTransfer-Encoding: gzip\r\n\r\n".encode() + body,
            f"POST /v1/chat/completions HTTP/1.1\r\nHost: {h}\r\nAuthorization: {key}\r\nContent-Length: -5\r\n\r\n".encode() + body,
            f"POST /v1/chat/completions HTTP/1.1\r\nHost: {h}\r\nAuthorization: {key}\r\nContent-Length: 18446744073709551617\r\n\r\n".encode(),
            f"POST /v1/chat/completions HTTP/1.1\r\nHost: {h}\r\nAuthorization: {key}\r\nContent-Length: 0x10\r\n\r\n".encode() + body,
            f"POST /v1/chat/completions HTTP/1.1\r\nHost: {h}\r\nAuthorization: {key}\r\nContent-Length: 0\r\n\r\n".encode(),
            f"POST /v1/chat/completions HTTP/1.0\r\nAuthorization: {key}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body,
            f"GET /v1/models HTTP/1.1\r\nHost: {h}\r\nAuthorization: {key}\r\nConnection: close, upgrade\r\nUpgrade: websocket\r\n\r\n".encode(),
            f"GET /v1/models HTTP/1.1\r\nHost: {h}\r\nHost: other\r\nAuthorization: {key}\r\n\r\n".encode(),
            f"GET http://evil.example/v1/models HTTP/1.1\r\nHost: {h}\r\nAuthorization: {key}\r\n\r\n".encode(),
            f"GET * HTTP/1.1\r\nHost: {h}\r\n\r\n".encode(),
            f"GET //healthz HTTP/1.1\r\nHost: {h}\r\n\r\n".encode(),
            f"GET /healthz?{'&' * 5000} HTTP/1.1\r\nHost: {h}\r\n\r\n".encode(),
        ]
        return "bad-head", self.rng.choice(variants), True

    def case_huge(self):
        h = self.host
        key = "Bearer " + st.CLIENT_KEY
        choice = self.rng.randrange(6)
        if choice == 0:
            return "huge", f"GET /healthz HTTP/1.1\r\nHost: {h}\r\nX-Big: {'a' * 100 * 1024}\r\n\r\n".encode(), True
        if choice == 1:
            return "huge", (f"GET /v1/models HTTP/1.1\r\nHost: {h}\r\nAuthorization: {key}\r\n" + "X-A: b\r\n" * 5000 + "\r\n").encode(), True
        if choice == 2:
            return "huge", f"GET /{'x' * 90000} HTTP/1.1\r\nHost: {h}\r\n\r\n".encode(), True
        if choice == 3:
            return "huge", f"GET /v1/models HTTP/1.1\r\nHost: {h}\r\nAuthorization: Bearer {'k' * 70000}\r\n\r\n".encode(), True
        if choice == 4:
            body = json.dumps({"model": "x" * (4 << 20), "messages": []}).encode()
            return "huge", request_bytes("POST", "/v1/chat/completions", [("Host", h), ("Authorization", key), ("Content-Length", str(len(body)))], body), True
        body = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "y" * (1 << 20)}] * 3}).encode()
        return "huge", request_bytes("POST", "/v1/chat/completions", [("Host", h), ("Authorization", key), ("Content-Length", str(len(body)))], body), True

    def case_traversal(self):
        path = self.rng.choice([
            "/dashboard/../../../../../../etc/passwd", "/dashboard/..%2f..%2f..%2f..%2fetc%2fpasswd",
            "/dashboard/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "/dashboard/....//....//etc/passwd",
            "/dashboard/..\\..\\..\\etc\\passwd", "/dashboard/%252e%252e/etc/passwd", "/dashboard//etc/passwd",
            "/dashboard/index.html%00.js", "/dashboard/./././index.html", "/dashboard/.", "/dashboard/..",
            "/dashboard/%c0%ae%c0%ae/etc/passwd", "/dashboard/" + "../" * 40 + "proc/self/environ",
            "/admin/api/../../etc/passwd", "/admin/api/requests/..%2f..%2f..%2fetc%2fpasswd",
            "/v1/models/..%2f..%2f..%2fetc%2fpasswd", "/v1beta/models/..%2f..%2fetc%2fpasswd:generateContent",
            "/healthz/../dashboard/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd",
        ])
        method = self.rng.choice(["GET", "GET", "POST"])
        headers = [("Host", self.host), ("Authorization", "Bearer " + self.rng.choice([st.ADMIN_KEY, st.CLIENT_KEY]))]
        if method == "POST":
            headers.append(("Content-Length", "2"))
        return "traversal", request_bytes(method, path, headers, b"{}" if method == "POST" else b""), True

    def case_pipelined(self):
        parts = []
        for _ in range(self.rng.randint(2, 10)):
            method, path, headers, body = self.valid()
            parts.append(request_bytes(method, path, headers, body))
        if self.rng.random() < 0.3:
            parts.insert(self.rng.randrange(len(parts)), b"GARBAGE \x00\x01\r\n\r\n")
        return "pipelined", b"".join(parts), True

    def case_truncated(self):
        method, path, headers, body = self.valid()
        data = request_bytes(method, path, headers, body)
        return "truncated", data[: self.rng.randrange(1, len(data))], False

    def case_preface(self):
        return "preface", self.rng.choice([
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(32) + b"\x00\x20" + os.urandom(32),
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x12\x04\x00\x00\x00\x00\x00",
            b"GET /\r\n",
            b"SSH-2.0-OpenSSH_9.2\r\n",
            b"\x05\x01\x00",  # SOCKS5
        ]), False

    def case_oversized(self):
        h = self.host
        key = "Bearer " + st.CLIENT_KEY
        variants = [
            f"POST /v1/chat/completions HTTP/1.1\r\nHost: {h}\r\nAuthorization: {key}\r\nContent-Length: {40 << 20}\r\n\r\n".encode(),
            f"POST /v1/chat/completions HTTP/1.1\r\nHost: {h}\r\nAuthorization: {key}\r\nContent-Length: {33 << 20}\r\nExpect: 100-continue\r\n\r\n".encode(),
            f"POST /admin/api/warmup HTTP/1.1\r\nHost: {h}\r\nAuthorization: Bearer {st.ADMIN_KEY}\r\nContent-Length: {1 << 20}\r\n\r\n".encode() + b"{" * (1 << 20),
        ]
        return "oversized", self.rng.choice(variants), True

    def case_chunked(self):
        h = self.host
        key = "Bearer " + st.CLIENT_KEY
        body = b'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}'
        chunks = self.rng.choice([
            hex(len(body))[2:].encode() + b"\r\n" + body + b"\r\n0\r\n\r\n",
            b"zz\r\n" + body + b"\r\n0\r\n\r\n",
            b"ffffffffffffffffff\r\n" + body + b"\r\n0\r\n\r\n",
            b"-1\r\n" + body + b"\r\n0\r\n\r\n",
            hex(len(body))[2:].encode() + b";ext=" + b"e" * 10000 + b"\r\n" + body + b"\r\n0\r\n\r\n",
            hex(len(body) + 10)[2:].encode() + b"\r\n" + body + b"\r\n0\r\n\r\n",
            b"".join(b"1\r\n" + body[i:i + 1] + b"\r\n" for i in range(len(body))) + b"0\r\nX-Trailer: y\r\n\r\n",
            b"5\r\nabcde\r\n" * 20000 + b"0\r\n\r\n",
        ])
        return "chunked", f"POST /v1/chat/completions HTTP/1.1\r\nHost: {h}\r\nAuthorization: {key}\r\nTransfer-Encoding: chunked\r\n\r\n".encode() + chunks, False


def http_exchange(port, data, complete, answer_timeout, rng_seed):
    """Sends one case on a new connection. Returns (outcome, status, body head)."""
    rng = random.Random(rng_seed)
    with socket.create_connection(("127.0.0.1", port), timeout=answer_timeout) as sock:
        try:
            if rng.random() < 0.2 and len(data) > 1:
                # Sent in pieces.
                at = 0
                while at < len(data):
                    step = rng.randint(1, max(1, len(data) // 3))
                    sock.sendall(data[at: at + step])
                    at += step
                    time.sleep(rng.choice([0, 0, 0.001, 0.01]))
            else:
                sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            return "closed-while-sending", None, b""
        if not complete:
            sock.settimeout(3)
        received = b""
        try:
            while b"\r\n\r\n" not in received and len(received) < 1 << 20:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
            # A little of the body, for the traversal check.
            sock.settimeout(0.5)
            while len(received) < 64 * 1024:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
        except socket.timeout:
            pass
        except ConnectionResetError:
            return ("reset-after-answer" if received else "reset"), parse_status(received), received
    if not received:
        return "no-answer", None, b""
    return "answered", parse_status(received), received


def parse_status(received):
    line = received.split(b"\r\n", 1)[0]
    parts = line.split(b" ")
    if len(parts) >= 2 and parts[0].startswith(b"HTTP/1.") and parts[1].isdigit():
        return int(parts[1])
    return -1


def trickle(port, seconds_limit, results):
    """A connection sending its head one byte every 0.5 s: the header deadline must end it."""
    data = f"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: {'s' * 200}\r\n\r\n".encode()
    started = time.time()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=seconds_limit) as sock:
            for byte in data:
                sock.sendall(bytes([byte]))
                sock.settimeout(0.5)
                try:
                    answer = sock.recv(4096)
                    results.append(("closed", time.time() - started, parse_status(answer) if answer else None))
                    return
                except socket.timeout:
                    pass
                if time.time() - started > seconds_limit:
                    results.append(("held", time.time() - started, None))
                    return
    except (BrokenPipeError, ConnectionResetError):
        results.append(("closed", time.time() - started, None))
        return
    results.append(("completed", time.time() - started, None))


# -- control-socket cases -----------------------------------------------------------------------

class SocketCases:
    def __init__(self, rng):
        self.rng = rng

    def junk_id(self):
        return self.rng.choice(["../../etc/passwd", "../victim", ".hidden", "a/b", "", "x" * 65, "x" * 5000, "%2e%2e",
                                "\u0000", "acc\n", 42, None, ["oa-any"], {"id": 1}, "nonexistent-account"])

    def command(self):
        cmd = self.rng.choice(KNOWN_COMMANDS + ["", "STATUS", "rm", "x" * 300, None, 7, ["status"]])
        request = {"id": self.rng.choice([1, "a", None, 2 ** 70, [], {"x": 1}, -1.5]), "cmd": cmd}
        for name in self.rng.sample(["account", "group", "reason", "model", "x", ""], self.rng.randint(0, 3)):
            request[name] = self.junk_id() if name in ("account", "") else self.rng.choice(
                ["claude-sonnet-4-5", "", "y" * 3000, None, 3, {"a": []}])
        return json.dumps(request).encode()

    def next(self):
        """(kind, lines: list of complete lines, tail: partial bytes or b"", expect)."""
        kind = self.rng.choices(["command", "json", "bytes", "nested", "long", "pipelined", "partial"],
                                weights=[40, 12, 15, 5, 3, 10, 15])[0]
        if kind == "command":
            return kind, [self.command()], b"", None
        if kind == "json":
            value = self.rng.choice([[], {}, 1, "status", None, True, [{"cmd": "status"}], {"cmd": {"cmd": "status"}},
                                     {"cmd": "status", "id": 1e999}, '{"cmd":"status"}'])
            text = json.dumps(value) if not isinstance(value, str) or value.startswith("{") is False else value
            return kind, [text.encode()], b"", None
        if kind == "bytes":
            data = bytes(self.rng.getrandbits(8) for _ in range(self.rng.randint(1, 2000))).replace(b"\n", b"")
            return kind, [data] if data else [b"x"], b"", None
        if kind == "nested":
            depth = self.rng.choice([300, 10000, 200000])
            return kind, [b'{"cmd":"status","x":' + b"[" * depth], b"", None
        if kind == "long":
            return kind, [b'{"cmd":"status","x":"' + b"a" * ((1 << 20) + 100) + b'"}'], b"", "request_too_large"
        if kind == "pipelined":
            return kind, [self.command() for _ in range(self.rng.randint(2, 30))], b"", None
        tail = self.command()[: self.rng.randint(1, 30)] if self.rng.random() < 0.8 else b"x" * (2 << 20)
        return kind, [], tail, None


def socket_exchange(path, lines, tail, timeout=30):
    """Sends complete lines (one write) and an optional partial tail, then closes. Returns the
    answer lines (decoded JSON, or the raw bytes when they are not JSON) and any problem."""
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(timeout)
        sock.connect(path)
        payload = b"".join(line + b"\n" for line in lines)
        try:
            sock.sendall(payload)
        except (BrokenPipeError, ConnectionResetError):
            return [], "closed while sending"
        answers, buffer = [], b""
        while len(answers) < len(lines):
            try:
                chunk = sock.recv(1 << 20)
            except socket.timeout:
                return answers, f"{len(lines) - len(answers)} line(s) unanswered after {timeout} s"
            except ConnectionResetError:
                return answers, "reset"
            if not chunk:
                break
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                try:
                    answers.append(json.loads(line))
                except ValueError:
                    answers.append(line)
        if tail:
            try:
                sock.sendall(tail)
            except (BrokenPipeError, ConnectionResetError):
                pass
    problem = None
    if len(answers) != len(lines):
        problem = f"{len(lines)} line(s) sent, {len(answers)} answer(s)"
    elif any(not isinstance(a, dict) for a in answers):
        problem = "an answer is not a JSON object"
    return answers, problem


def held_line(path, results, limit=25):
    """A partial line left open: the 10 s deadline must answer `timeout` and close."""
    started = time.time()
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(limit)
        sock.connect(path)
        sock.sendall(b'{"cmd":"sta')
        data = b""
        try:
            while True:
                chunk = sock.recv(4096)
                if not chunk:
                    break
                data += chunk
        except socket.timeout:
            results.append((path, "held", time.time() - started, data))
            return
        except ConnectionResetError:
            pass
    results.append((path, "closed", time.time() - started, data))


# -- the run ------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--short", action="store_true", help="a quick run: 600 HTTP cases, 300 socket cases")
    parser.add_argument("--http", type=int, help="HTTP cases (default 6000; --short 600)")
    parser.add_argument("--socket", type=int, help="control-socket cases over the three sockets (default 3000; --short 300)")
    parser.add_argument("--big-bodies", type=int, help="31 MiB bodies sent one at a time (default 5; --short 1)")
    parser.add_argument("--workers", type=int, default=12, help="concurrent fuzz connections (default 12)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: time; printed)")
    parser.add_argument("--max-rss-mib", type=int, default=384, help="peak RSS allowed per service (default 384)")
    parser.add_argument("--bin", help="folder of the built executables (default .build/release, else .build/debug; $BIN)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, state)")
    args = parser.parse_args()
    http_cases = args.http if args.http is not None else (600 if args.short else 6000)
    socket_cases = args.socket if args.socket is not None else (300 if args.short else 3000)
    big_bodies = args.big_bodies if args.big_bodies is not None else (1 if args.short else 5)
    seed = args.seed if args.seed is not None else int(time.time())
    bin_dir = st.find_bin(args.bin)

    stack = st.Stack(bin_dir, keep=args.keep, prefix="qp-fuzz")
    failures = []
    figures = []
    started_at = time.time()
    try:
        big = {"limit": 100000000, "reset_seconds": 3600}
        stack.start_simulator([
            {"key": "sk-fuzz-listed-0000000001", "models": {"gpt-4o-mini": big, "text-embedding-3-small": big}},
            {"key": "sk-fuzz-any-00000000000002"},
            {"key": "sk-ant-fuzz-00000000000003", "models": {"claude-sonnet-4-5": big}},
            {"key": "AIza-fuzz-0000000000000004", "models": {"gemini-2.5-flash": big}},
        ])
        stack.write_account("oa-listed", "sk-fuzz-listed-0000000001", models=["gpt-4o-mini", "text-embedding-3-small"])
        stack.write_account("oa-any", "sk-fuzz-any-00000000000002", tier="fallback")
        stack.write_account("an-1", "sk-ant-fuzz-00000000000003", provider="anthropic", models=["claude-sonnet-4-5"])
        stack.write_account("ge-1", "AIza-fuzz-0000000000000004", provider="gemini", models=["gemini-2.5-flash"])
        stack.secrets["canary key"] = CANARY
        stack.write_config({"listen": {"header_timeout_seconds": 5, "idle_timeout_seconds": 15},
                            "scheduled_warmup": {"enabled": False, "monitored_models": ["*"]}})
        stack.start_all()
        print(f"work folder {stack.work}; binaries {bin_dir} ({st.build_kind(bin_dir)}); seed {seed}; commit {st.git_commit()}")
        port = stack.port
        peak = {name: st.rss_bytes(stack.pid(name)) for name in st.SERVICES}
        start_rss = dict(peak)
        sampling = threading.Event()

        def sample():
            while not sampling.is_set():
                for name in st.SERVICES:
                    peak[name] = max(peak[name], st.rss_bytes(stack.pid(name)))
                sampling.wait(0.25)
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()

        # Slow-trickle connections in the background (header deadline 5 s).
        trickles = []
        trickle_threads = [threading.Thread(target=trickle, args=(port, 30, trickles), daemon=True) for _ in range(20)]
        for thread in trickle_threads:
            thread.start()

        # --- HTTP fuzz ---
        rng = random.Random(seed)
        generator = HTTPCases(rng, port)
        cases = [generator.next() for _ in range(http_cases)]
        outcomes, statuses, kinds = {}, {}, {}
        http_problems = []
        checks = {"healthz": 0, "healthz_failed": 0}
        t0 = time.time()
        with concurrent.futures.ThreadPoolExecutor(args.workers) as pool:
            futures = {pool.submit(http_exchange, port, data, complete, 30, seed + i): (i, kind, data, complete)
                       for i, (kind, data, complete) in enumerate(cases)}
            done_count = 0
            for future in concurrent.futures.as_completed(futures):
                i, kind, data, complete = futures[future]
                kinds[kind] = kinds.get(kind, 0) + 1
                try:
                    outcome, status, received = future.result()
                except Exception as error:  # connect refused, timeouts
                    outcome, status, received = f"error: {type(error).__name__}", None, b""
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
                if status is not None:
                    statuses[status] = statuses.get(status, 0) + 1
                if status == 500 or status == -1:
                    http_problems.append(f"case {i} ({kind}): status {status}: {received[:200]!r} for {data[:200]!r}")
                if outcome == "no-answer" and complete:
                    http_problems.append(f"case {i} ({kind}): a complete request got neither an answer nor a close: {data[:200]!r}")
                if outcome.startswith("error") and "timeout" not in outcome.lower():
                    http_problems.append(f"case {i} ({kind}): {outcome}")
                if b"root:x:0:0" in received or b"PATH=" in received:
                    http_problems.append(f"case {i} ({kind}): a file outside the dashboard was served: {data[:200]!r}")
                done_count += 1
                if done_count % 250 == 0:
                    checks["healthz"] += 1
                    try:
                        if stack.http("GET", "/healthz", timeout=10, key=None)[0] != 200:
                            checks["healthz_failed"] += 1
                    except Exception:
                        checks["healthz_failed"] += 1
                    print(f"  … {done_count} HTTP cases, {len(http_problems)} problem(s)", flush=True)
        http_seconds = time.time() - t0

        # 31 MiB bodies, one at a time (each is buffered whole before it goes upstream).
        big_statuses = []
        for _ in range(big_bodies):
            body = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "z" * (31 << 20)}]}).encode()
            try:
                big_statuses.append(stack.http("POST", "/v1/chat/completions", body, timeout=120)[0])
            except Exception as error:
                big_statuses.append(f"error {type(error).__name__}")
        for thread in trickle_threads:
            thread.join(60)
        held_http = [t for t in trickles if t[0] != "closed"]
        if held_http:
            failures.append(f"{len(held_http)} of {len(trickles)} slow-trickle connections not closed by the 5 s header deadline: {held_http[:3]}")

        # --- control-socket fuzz ---
        srng = random.Random(seed + 1)
        sgen = SocketCases(srng)
        socket_cases_list = [(st.SERVICES[i % 3], sgen.next()) for i in range(socket_cases)]
        held = []
        held_threads = [threading.Thread(target=held_line, args=(stack.socket_path(name), held), daemon=True)
                        for name in st.SERVICES for _ in range(5)]
        for thread in held_threads:
            thread.start()
        socket_problems, socket_kinds, lines_sent, answers_got, too_large_ok = [], {}, 0, 0, 0
        t1 = time.time()

        def run_socket_case(item):
            name, (kind, lines, tail, expect) = item
            return name, kind, lines, expect, socket_exchange(stack.socket_path(name), lines, tail)
        with concurrent.futures.ThreadPoolExecutor(min(args.workers, 6)) as pool:
            for name, kind, lines, expect, (answers, problem) in pool.map(run_socket_case, socket_cases_list):
                socket_kinds[kind] = socket_kinds.get(kind, 0) + 1
                lines_sent += len(lines)
                answers_got += len(answers)
                if problem:
                    socket_problems.append(f"{name} {kind}: {problem}: sent {lines[0][:120] if lines else b''!r}")
                if expect == "request_too_large":
                    code = (answers[0].get("error") or {}).get("code") if answers and isinstance(answers[0], dict) else None
                    if code == "request_too_large":
                        too_large_ok += 1
                    else:
                        socket_problems.append(f"{name}: a line over 1 MiB got {answers[:1]!r}, not request_too_large")
        socket_seconds = time.time() - t1
        for thread in held_threads:
            thread.join(40)
        not_closed = [h for h in held if h[1] != "closed" or b"timeout" not in h[3]]
        if not_closed or len(held) != len(held_threads):
            socket_problems.append(f"{len(not_closed)} of {len(held_threads)} held partial lines not answered 'timeout' and closed: {not_closed[:2]}")
        sampling.set()
        sampler.join()

        # --- after the fuzz ---
        for name in st.SERVICES:
            if not stack.alive(name):
                failures.append(f"{name} exited with {stack.processes[name].returncode}; log tail:\n{stack.log_tail(name)}")
        after = {}
        if all(stack.alive(name) for name in st.SERVICES):
            for name in st.SERVICES:
                try:
                    after[name + " status"] = stack.control(name, {"id": 1, "cmd": "status"})["ok"]
                except Exception as error:
                    after[name + " status"] = f"error {error}"
            after["healthz"] = stack.http("GET", "/healthz", key=None)[0]
            after["openai chat"] = stack.chat()[0]
            after["anthropic messages"] = stack.http(
                "POST", "/v1/messages", {"model": "claude-sonnet-4-5", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]},
                headers={"anthropic-version": "2023-06-01"})[0]
            after["gemini generateContent"] = stack.http(
                "POST", "/v1beta/models/gemini-2.5-flash:generateContent", {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]})[0]
            after["admin status"] = stack.http("GET", "/admin/api/status", key=st.ADMIN_KEY)[0]
            for what, value in after.items():
                if value not in (200, True):
                    failures.append(f"after the fuzz, {what}: {value}")
        end_rss = {name: st.rss_bytes(stack.pid(name)) for name in st.SERVICES}
        for name in st.SERVICES:
            if peak[name] > args.max_rss_mib << 20:
                failures.append(f"{name} peak RSS {st.mib(peak[name])} over {args.max_rss_mib} MiB")
        time.sleep(1.5)  # the request log is flushed about once a second
        secrets = stack.secret_findings()
        for path, what in secrets:
            failures.append(f"{what} found in {path}")
        failures += http_problems[:50] + socket_problems[:50]
        if checks["healthz_failed"]:
            failures.append(f"{checks['healthz_failed']} of {checks['healthz']} /healthz checks during the fuzz failed")

        figures += [
            f"commit {st.git_commit()}, {st.build_kind(bin_dir)} build, seed {seed}, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
            f"HTTP: {len(cases)} cases in {http_seconds:.0f} s ({args.workers} at a time): " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())),
            "  outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())),
            "  statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items(), key=lambda kv: str(kv[0]))),
            f"  problems: {len(http_problems)}; /healthz during the fuzz: {checks['healthz'] - checks['healthz_failed']}/{checks['healthz']} ok",
            f"  31 MiB bodies: {big_statuses}; slow-trickle connections closed by the header deadline: "
            f"{len(trickles) - len(held_http)}/{len(trickles)} (after {max([t[1] for t in trickles] or [0]):.1f} s at most)",
            f"sockets: {len(socket_cases_list)} cases in {socket_seconds:.0f} s, {lines_sent} complete lines, {answers_got} answers: "
            + ", ".join(f"{k} {v}" for k, v in sorted(socket_kinds.items())),
            f"  lines over 1 MiB answered request_too_large: {too_large_ok}; held partial lines closed with 'timeout': "
            f"{len(held) - len(not_closed)}/{len(held_threads)}; problems: {len(socket_problems)}",
            "after: " + ", ".join(f"{k} {v}" for k, v in after.items()),
            "RSS start/peak/end: " + "; ".join(
                f"{name} {st.mib(start_rss[name])}/{st.mib(peak[name])}/{st.mib(end_rss[name])}" for name in st.SERVICES),
            f"secrets in logs and request log: {len(secrets)} (looked for {len(stack.secrets)} keys incl. a canary client key)",
            f"total {time.time() - started_at:.0f} s",
        ]
    except Exception as error:
        failures.append(f"the run stopped: {type(error).__name__}: {error}")
    finally:
        stack.stop()
    return st.report("reliability-fuzz", figures, failures)


if __name__ == "__main__":
    sys.exit(main())
