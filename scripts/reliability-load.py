#!/usr/bin/env python3
"""Long load with many accounts rotating through exhaustion, RSS sampled, then all accounts out.

Starts the upstream simulator with N keys (default 1,000), each allowed L requests of gpt-4o-mini
per window (default 5), the windows 10 to 40 s long (spread over the keys, so they reset at
different times), N account files and the three services, then:

  1. rotation  wrk (-t2, C connections) sends chat completions for D seconds (default 600; --short
               60), in segments of at most 60 s. The load is far above what the windows allow, so
               every account keeps running out and coming back; the proxy has to pace each one at
               its reset and fail over to the others. RSS of the three services is sampled every
               second.
  2. all out   every key is set to 0 remaining for a window of R seconds (default 60; --short
               40); requests keep coming (4 clients) until 2 s before the first key resets.
  3. recovery  after that window the keys are full again: requests must be served again.

A figure fails (exit 1) when: a service exits; wrk saw a socket error or timeout; any answer is
neither 200 nor 429; a 429 lacks a numeric Retry-After >= 1; fewer than a tenth of the accounts
were ever cooling down at once (the load did not exhaust them); fewer than --min-served (default
0.7) of the requests the windows allowed (or of those sent, if fewer) were served (failover not
keeping up); in phase 2 an
answer is not 429 with Retry-After (or is 429 with a Retry-After beyond the longest window + 5 s);
no 200 within R + 15 s of the reset; the proxy's peak RSS is over --max-rss-mib (default 256) or
it grew by more than --max-growth-mib (default 32) from the end of the first quarter of phase 1
to its end; a key appears in a log.

Uses wrk (apt-get install wrk) and the release build by default. Prints the figures.
"""

import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "reliability"))
import stack as st  # noqa: E402

LUA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reliability", "statuses.lua")


def run_wrk(port, seconds, connections):
    env = dict(os.environ, RELIABILITY_KEY=st.CLIENT_KEY)
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", LUA, f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, env=env, timeout=seconds + 120)
    match = re.search(r"^STATUS_JSON (.*)$", out.stdout, re.M)
    if not match:
        raise RuntimeError(f"wrk printed no summary (exit {out.returncode}): {out.stdout[-1000:]} {out.stderr[-1000:]}")
    return json.loads(match.group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--short", action="store_true", help="60 s of rotation, a 20 s all-out window")
    parser.add_argument("--duration", type=int, help="seconds of rotation (default 600; --short 60)")
    parser.add_argument("--accounts", type=int, default=1000, help="accounts (default 1000)")
    parser.add_argument("--limit", type=int, default=5, help="requests per key and window (default 5)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--all-out-seconds", type=int, help="length of the all-out window (default 60; --short 40)")
    parser.add_argument("--min-served", type=float, default=0.7, help="share of the windows' requests that must be served")
    parser.add_argument("--max-rss-mib", type=int, default=256, help="proxy peak RSS allowed (default 256)")
    parser.add_argument("--max-growth-mib", type=int, default=32, help="proxy RSS growth allowed over phase 1 (default 32)")
    parser.add_argument("--bin", help="folder of the built executables (default .build/release, else .build/debug; $BIN)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, state)")
    args = parser.parse_args()
    duration = args.duration or (60 if args.short else 600)
    all_out = args.all_out_seconds or (40 if args.short else 60)
    bin_dir = st.find_bin(args.bin)
    if subprocess.run(["which", "wrk"], capture_output=True).returncode != 0:
        raise SystemExit("wrk is needed: apt-get install -y wrk")

    stack = st.Stack(bin_dir, keep=args.keep, prefix="qp-load", log_level="notice")
    failures, figures = [], []
    samples = {name: [] for name in st.SERVICES}
    try:
        windows = [10 + (i * 7) % 31 for i in range(args.accounts)]  # 10..40 s, spread
        keys = [f"sk-load-{i:05d}-{'k' * 8}" for i in range(args.accounts)]
        stack.start_simulator([{"key": key, "models": {"gpt-4o-mini": {"limit": args.limit, "reset_seconds": window}}}
                               for key, window in zip(keys, windows)])
        sim_started = time.time()
        for i, key in enumerate(keys):
            stack.write_account(f"acc-{i:05d}", key, models=["gpt-4o-mini"])
        stack.write_config({"scheduled_warmup": {"enabled": False, "monitored_models": ["*"]}})
        ready = stack.start_all()
        print(f"work folder {stack.work}; binaries {bin_dir} ({st.build_kind(bin_dir)}); commit {st.git_commit()}; "
              f"ready in " + ", ".join(f"{n} {s:.1f} s" for n, s in ready.items()), flush=True)
        port = stack.port
        sampling = threading.Event()
        t_start = time.time()

        cooling = []

        def sample():
            n = 0
            while not sampling.is_set():
                for name in st.SERVICES:
                    samples[name].append((time.time() - t_start, st.rss_bytes(stack.pid(name))))
                n += 1
                if n % 5 == 0:
                    try:
                        details = stack.control("quota-proxy", {"id": 1, "cmd": "status"})["result"]["details"]
                        cooling.append((time.time() - t_start, details.get("cooldowns_active", 0)))
                    except Exception:
                        pass
                sampling.wait(1)
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()

        # --- 1. rotation ---
        totals = {"statuses": {}, "no_retry_after": 0, "retry_after_max": 0, "requests": 0,
                  "errors": {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0}, "p99_us": 0, "max_us": 0}
        left = duration
        phase1_start = time.time()
        while left > 0:
            seconds = min(60, left)
            result = run_wrk(port, seconds, args.connections)
            left -= seconds
            for status, n in result["statuses"].items():
                totals["statuses"][status] = totals["statuses"].get(status, 0) + n
            for name in ("no_retry_after", "requests"):
                totals[name] += result[name]
            totals["retry_after_max"] = max(totals["retry_after_max"], result["retry_after_max"])
            totals["p99_us"] = max(totals["p99_us"], result["p99_us"])
            totals["max_us"] = max(totals["max_us"], result["max_us"])
            for name, n in result["errors"].items():
                totals["errors"][name] += n
            rss = st.rss_bytes(stack.pid("quota-proxy"))
            print(f"  {duration - left:4d} s: {result['requests'] / seconds:7.0f} req/s, statuses {result['statuses']}, "
                  f"p50 {result['p50_us'] / 1000:.1f} ms, p99 {result['p99_us'] / 1000:.1f} ms, errors {result['errors']}, "
                  f"proxy RSS {st.mib(rss)}", flush=True)
            if not stack.alive("quota-proxy"):
                break
        phase1_end = time.time()
        phase1_seconds = phase1_end - phase1_start
        served = totals["statuses"].get("200", 0)
        most_cooling = max((c for t, c in cooling if t <= phase1_end - t_start), default=0)
        if most_cooling < args.accounts // 10:
            failures.append(f"phase 1: at most {most_cooling} cooldowns were active at once: the load did not exhaust "
                            f"the accounts (lower --limit or raise --connections)")
        # What the windows allowed: per key, one full window at the start plus one per reset.
        allowed = sum(args.limit * (1 + int((phase1_end - sim_started) // window)) for window in windows)
        others = {s: n for s, n in totals["statuses"].items() if s not in ("200", "429")}
        if others:
            failures.append(f"phase 1: answers other than 200/429: {others}")
        if any(n for name, n in totals["errors"].items() if name != "status"):  # "status": non-2xx answers
            failures.append(f"phase 1: wrk socket errors or timeouts: {totals['errors']}")
        if totals["no_retry_after"]:
            failures.append(f"phase 1: {totals['no_retry_after']} answers 429 without a Retry-After >= 1")
        # Failover keeps serving: what was served is close to what the windows allowed, or to what
        # was asked when that was less.
        servable = min(allowed, totals["requests"])
        if served < args.min_served * servable:
            failures.append(f"phase 1: served {served} of {servable} (the windows allowed {allowed}, {totals['requests']} were "
                            f"sent): {served / servable:.2f} < {args.min_served}")
        metrics = stack.http("GET", "/metrics", timeout=60)[2].decode(errors="replace")
        outcomes = {}
        for match in re.finditer(r'^quota_proxy_upstream_attempts_total\{[^}]*outcome="([a-z_]+)"[^}]*\} (\d+)', metrics, re.M):
            outcomes[match.group(1)] = outcomes.get(match.group(1), 0) + int(match.group(2))

        # --- 2. all out ---
        def set_all(remaining, reset):
            def one(key):
                return stack.sim_call("POST", f"/admin/keys/{key}/quota",
                                      {"model": "gpt-4o-mini", "remaining": remaining, "limit": args.limit, "reset_seconds": reset})[0]
            with concurrent.futures.ThreadPoolExecutor(8) as pool:
                return list(pool.map(one, keys))
        set_started = time.time()
        codes = set_all(0, all_out)
        set_seconds = time.time() - set_started
        reset_at = set_started + all_out  # the first key set resets first
        if set(codes) != {200}:
            failures.append(f"phase 2: the simulator refused some quota updates: {set(codes)}")
        longest = max(max(windows), all_out)
        phase2 = []
        lock = threading.Lock()

        def client(until):
            while time.time() < until:
                t = time.time()
                try:
                    status, headers, _ = stack.chat(timeout=15)
                except Exception as error:
                    status, headers = f"error {type(error).__name__}", {}
                with lock:
                    phase2.append((t, status, headers.get("retry-after")))
        until = reset_at - 2
        threads = [threading.Thread(target=client, args=(until,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        p2_status = {}
        bad_retry = 0
        for _, status, retry in phase2:
            p2_status[status] = p2_status.get(status, 0) + 1
            if status == 429 and not (retry and retry.isdigit() and 1 <= int(retry) <= longest + 5):
                bad_retry += 1
        if set(p2_status) - {429}:
            failures.append(f"phase 2 (all out): answers other than 429: {p2_status}")
        if bad_retry:
            failures.append(f"phase 2: {bad_retry} answers 429 without a Retry-After in 1..{longest + 5}")
        retry_values = sorted(int(r) for _, s, r in phase2 if s == 429 and r and r.isdigit())

        # --- 3. recovery ---
        while time.time() < reset_at:
            time.sleep(0.2)
        recovered_after = None
        p3_status = {}
        while time.time() < reset_at + all_out + 15:
            try:
                status = stack.chat(timeout=15)[0]
            except Exception as error:
                status = f"error {type(error).__name__}"
            p3_status[status] = p3_status.get(status, 0) + 1
            if status == 200:
                recovered_after = time.time() - reset_at
                break
            time.sleep(0.2)
        if recovered_after is None:
            failures.append(f"phase 3: no answer 200 within {all_out + 15} s of the reset: {p3_status}")
        sampling.set()
        sampler.join()

        for name in st.SERVICES:
            if not stack.alive(name):
                failures.append(f"{name} exited with {stack.processes[name].returncode}; log tail:\n{stack.log_tail(name)}")
        proxy = samples["quota-proxy"]
        in_phase1 = [(t, r) for t, r in proxy if t <= phase1_end - t_start]
        quarter = [r for t, r in in_phase1 if t >= phase1_seconds / 4]
        peak = max(r for _, r in proxy)
        growth = (max(in_phase1[-5:], key=lambda s: s[1])[1] - quarter[0]) if quarter else 0
        if peak > args.max_rss_mib << 20:
            failures.append(f"proxy peak RSS {st.mib(peak)} over {args.max_rss_mib} MiB")
        if growth > args.max_growth_mib << 20:
            failures.append(f"proxy RSS grew {st.mib(growth)} from a quarter into phase 1 to its end (over {args.max_growth_mib} MiB)")
        healthz = stack.http("GET", "/healthz", key=None)[0]
        if healthz != 200:
            failures.append(f"/healthz answered {healthz} at the end")
        secrets = stack.secret_findings()
        for path, what in secrets:
            failures.append(f"{what} found in {path}")

        def rss_line(name):
            values = samples[name]
            return (f"{name} start {st.mib(values[0][1])}, peak {st.mib(max(r for _, r in values))}, "
                    f"end {st.mib(values[-1][1])}")
        figures += [
            f"commit {st.git_commit()}, {st.build_kind(bin_dir)} build, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
            f"setup: {args.accounts} accounts, {args.limit} requests per window of 10-40 s each; wrk -t2 -c{args.connections}",
            f"phase 1 (rotation, {phase1_seconds:.0f} s): {totals['requests']} requests ({totals['requests'] / phase1_seconds:.0f}/s), "
            f"statuses {totals['statuses']}; served {served} of {allowed} the windows allowed ({served / max(allowed, 1):.2f}); "
            f"429 without Retry-After {totals['no_retry_after']}, longest Retry-After {totals['retry_after_max']} s; "
            f"active cooldown entries at once (account and group): up to {most_cooling}; "
            f"socket errors {dict((k, v) for k, v in totals['errors'].items() if k != 'status')}; p99 at most {totals['p99_us'] / 1000:.1f} ms per segment, max {totals['max_us'] / 1000:.0f} ms",
            f"  upstream attempts by outcome: {outcomes}",
            f"phase 2 (all out, {all_out} s window, set in {set_seconds:.1f} s): {len(phase2)} requests, statuses {p2_status}, Retry-After "
            f"{'min %d, median %d, max %d s' % (retry_values[0], retry_values[len(retry_values) // 2], retry_values[-1]) if retry_values else 'none'}",
            f"phase 3 (recovery): first 200 {recovered_after:.1f} s after the reset" if recovered_after is not None else "phase 3: no recovery",
            "RSS: " + "; ".join(rss_line(name) for name in st.SERVICES),
            f"proxy RSS growth from {phase1_seconds / 4:.0f} s into phase 1 to its end: {st.mib(growth)}",
            f"secrets in logs and request log: {len(secrets)}",
        ]
    except Exception as error:
        failures.append(f"the run stopped: {type(error).__name__}: {error}")
    finally:
        stack.stop()
    return st.report("reliability-load", figures, failures)


if __name__ == "__main__":
    sys.exit(main())
