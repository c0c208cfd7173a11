#!/usr/bin/env python3
"""Crash safety of the shared state: SIGKILLs of the three services under load, state checked
after each; then SIGTERMs, each of which must end its service promptly.

The three services run against the upstream simulator with 12 accounts: 8 with quota from the
answers' rate-limit headers (written by the proxy about once a second), 4 polled every 10 s
(written by the refresher); warmups every 10 s (written by the scheduler). Meanwhile 4 clients
send chat completions and an operator thread disables and enables accounts with quota-proxyctl
(through proxy.sock, or on the file when the proxy is down) and asks for refreshes and warmups.

  part 1  K times (default 300; --short 30): a service picked at random (the proxy half of the
          time) is SIGKILLed 0.1-1.5 s after the previous step. The operator is paused, and the
          state folder is checked: every account file parses, holds its own id, has mode 0600, no
          account is missing or has another credential, quota.last_updated never goes back,
          cooldowns.json / warmup_history.json / anonymous.json parse, request-log and
          quota-history lines are whole except a last one torn by the kill, and every
          disable/enable that quota-proxyctl acknowledged is in the file (no lost update). The
          service is restarted; once it answers, the same checks run again, no temporary file
          of a dead writer may be left, and a restarted proxy must have loaded all 12 accounts.
  part 2  S times (default 60; --short 10): a service (the others running, clients sending) is
          started, left for 0-2 s and sent SIGTERM: it must exit 0 within 3 s.

Exits 1 when any check fails; prints the figures. Replaces the old reliability-state.sh (whose
restarts ran in a command substitution that waited for the service's stdout, so it hung).
"""

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "reliability"))
import stack as st  # noqa: E402

ACCOUNTS = [f"acc-{i:02d}" for i in range(1, 13)]


def stats(values):
    if not values:
        return "n=0"
    values = sorted(values)
    pick = lambda q: values[min(len(values) - 1, int(q * len(values)))]
    return f"n={len(values)} median {pick(0.5) * 1000:.0f} ms, p95 {pick(0.95) * 1000:.0f} ms, max {values[-1] * 1000:.0f} ms"


class Operator:
    """Disables and enables accounts with quota-proxyctl and remembers what was acknowledged."""

    def __init__(self, stack, rng):
        self.stack = stack
        self.rng = rng
        self.lock = threading.Lock()  # held while a command runs; the checker takes it to pause
        self.expected = {}  # account -> (disabled, reason) last acknowledged; None when unknown
        self.acknowledged = 0
        self.failed = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def ctl(self, *arguments):
        return subprocess.run(
            [os.path.join(self.stack.bin, "quota-proxyctl"), *arguments, "--state-dir", self.stack.state,
             "--runtime-dir", self.stack.run_dir], capture_output=True, text=True, timeout=60)

    def loop(self):
        n = 0
        while not self.stopping.is_set():
            n += 1
            with self.lock:
                account = ACCOUNTS[self.rng.randrange(8)]
                disable = self.rng.random() < 0.5
                reason = f"reliability-{n}"
                arguments = ["accounts", "disable", account, "--reason", reason] if disable else ["accounts", "enable", account]
                try:
                    done = self.ctl(*arguments)
                    ok = done.returncode == 0
                except subprocess.TimeoutExpired:
                    ok = False
                if ok:
                    self.expected[account] = (disable, reason if disable else None)
                    self.acknowledged += 1
                else:
                    self.expected[account] = None  # it may or may not have landed
                    self.failed += 1
                if n % 10 == 0:
                    try:
                        self.ctl("refresh")
                        self.ctl("warmup")
                    except subprocess.TimeoutExpired:
                        pass
            time.sleep(0.05)

    def lost_updates(self, state):
        problems = []
        for account, expected in self.expected.items():
            if expected is None:
                continue
            try:
                obj = json.load(open(os.path.join(state, "accounts", account + ".json")))
            except Exception:
                continue  # reported by the state check
            actual = (bool(obj.get("disabled")), obj.get("disabled_reason") if obj.get("disabled") else None)
            if actual != expected:
                problems.append(f"{account}: quota-proxyctl's acknowledged {expected} was lost; the file says {actual}")
        return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--short", action="store_true", help="30 kills and 10 stops")
    parser.add_argument("--kills", type=int, help="SIGKILLs in part 1 (default 300; --short 30)")
    parser.add_argument("--stops", type=int, help="SIGTERMs in part 2 (default 60; --short 10)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: time; printed)")
    parser.add_argument("--bin", help="folder of the built executables (default .build/release, else .build/debug; $BIN)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, state)")
    args = parser.parse_args()
    kills = args.kills if args.kills is not None else (30 if args.short else 300)
    stops = args.stops if args.stops is not None else (10 if args.short else 60)
    seed = args.seed if args.seed is not None else int(time.time())
    rng = random.Random(seed)
    bin_dir = st.find_bin(args.bin)

    stack = st.Stack(bin_dir, keep=args.keep, prefix="qp-crash")
    failures, figures = [], []
    memo = os.path.join(stack.work, "checker.json")
    load_stop = threading.Event()
    codes = {}
    codes_lock = threading.Lock()
    try:
        keys = [f"sk-crash-key-0000{i:02d}" for i in range(1, 13)]
        stack.start_simulator([{"key": key, "models": {"gpt-4o-mini": {"limit": 1000000, "reset_seconds": 60},
                                                       "gemini-3-flash": {"limit": 1000000, "reset_seconds": 3600}}}
                               for key in keys])
        for i, (account, key) in enumerate(zip(ACCOUNTS, keys)):
            source = {"kind": "headers"} if i < 8 else {"kind": "antigravity", "url": stack.sim_url}
            stack.write_account(account, key, quota_source=source)
        stack.write_config({"refresher": {"interval_seconds": 10},
                            "scheduled_warmup": {"interval_seconds": 10, "cooldown_seconds": 10, "monitored_models": ["gemini-3-flash"]}})
        stack.start_all()
        print(f"work folder {stack.work}; binaries {bin_dir} ({st.build_kind(bin_dir)}); seed {seed}; commit {st.git_commit()}", flush=True)

        def client():
            while not load_stop.is_set():
                try:
                    status = stack.chat(timeout=10)[0] if stack.port else "no-port"
                except Exception as error:
                    status = type(error).__name__
                with codes_lock:
                    codes[status] = codes.get(status, 0) + 1
                if not isinstance(status, int):
                    time.sleep(0.05)
        clients = [threading.Thread(target=client, daemon=True) for _ in range(4)]
        for thread in clients:
            thread.start()
        operator = Operator(stack, random.Random(seed + 1))
        operator.thread.start()

        # --- part 1: SIGKILL ---
        killed = {name: 0 for name in st.SERVICES}
        ready_times, check_failures = [], []
        torn, dead_tmp, checked = 0, 0, 0
        part1_start = time.time()

        def check(phase):
            nonlocal torn, dead_tmp, checked
            with operator.lock:  # no quota-proxyctl command in flight while the folder is read
                out = subprocess.run(
                    [sys.executable, os.path.join(os.path.dirname(st.__file__), "stack.py"), "check-state", stack.state, memo, phase, *ACCOUNTS],
                    capture_output=True, text=True)
                lost = operator.lost_updates(stack.state)
            first = out.stdout.splitlines()[0] if out.stdout else ""
            values = dict(part.split("=") for part in first.split()) if first.startswith("checked=") else {}
            checked += int(values.get("checked", 0))
            if phase == "after-kill":
                torn += int(values.get("torn_last_lines", 0))
                dead_tmp += int(values.get("dead_writer_tmp", 0))
            return [line[5:] for line in out.stdout.splitlines() if line.startswith("FAIL ")] + lost + (
                [f"checker failed: {out.stderr[-500:]}"] if out.returncode not in (0, 1) else [])

        for i in range(1, kills + 1):
            name = rng.choices(st.SERVICES, weights=[2, 1, 1])[0]
            time.sleep(rng.uniform(0.1, 1.5))
            stack.kill(name, signal.SIGKILL)
            killed[name] += 1
            for problem in check("after-kill"):
                check_failures.append(f"kill {i} ({name}): {problem}")
            try:
                ready_times.append(stack.start(name))
            except RuntimeError as error:
                check_failures.append(f"kill {i}: {name} did not restart: {error}")
                break
            for problem in check("after-restart"):
                check_failures.append(f"restart {i} ({name}): {problem}")
            if name == "quota-proxy":
                details = stack.control(name, {"id": 1, "cmd": "status"})["result"]["details"]
                if details.get("accounts") != len(ACCOUNTS) or details.get("skipped_files"):
                    check_failures.append(f"restart {i}: the proxy loaded {details.get('accounts')} accounts, skipped {details.get('skipped_files')} files")
            if i % 25 == 0:
                print(f"  … {i} kills, {len(check_failures)} failed check(s)", flush=True)
        part1_seconds = time.time() - part1_start
        failures += check_failures[:40]

        # --- part 2: SIGTERM ---
        stop_times, stop_failures = [], []
        for i in range(1, stops + 1):
            name = rng.choice(st.SERVICES)
            stack.kill(name, signal.SIGTERM)
            try:
                stack.start(name)
            except RuntimeError as error:
                stop_failures.append(f"stop {i}: {name} did not start: {error}")
                continue
            time.sleep(rng.uniform(0, 2))
            started = time.time()
            process = stack.processes[name]
            process.send_signal(signal.SIGTERM)
            try:
                code = process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                stop_failures.append(f"stop {i}: {name} still running 3 s after SIGTERM")
                process.kill()
                code = process.wait()
            stop_times.append(time.time() - started)
            if code != 0:
                stop_failures.append(f"stop {i}: {name} exited {code}; log tail: {stack.log_tail(name, 800)}")
            try:
                stack.start(name)
            except RuntimeError as error:
                stop_failures.append(f"stop {i}: {name} did not start again: {error}")
        failures += stop_failures[:20]
        load_stop.set()
        operator.stopping.set()
        for thread in clients:
            thread.join(15)
        operator.thread.join(60)
        final = check("after-restart")
        failures += [f"at the end: {problem}" for problem in final]
        secrets = stack.secret_findings()
        failures += [f"{what} found in {path}" for path, what in secrets]
        answered = sum(n for status, n in codes.items() if isinstance(status, int))
        figures += [
            f"commit {st.git_commit()}, {st.build_kind(bin_dir)} build, seed {seed}, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
            f"part 1 (SIGKILL): {kills} kills in {part1_seconds:.0f} s (proxy {killed['quota-proxy']}, scheduler "
            f"{killed['quota-scheduler']}, refresher {killed['quota-refresher']}); failed checks: {len(check_failures)}",
            f"  state files read by the checker: {checked}; torn last request-log/history lines right after a kill: {torn}; "
            f"dead writers' temporary files right after a kill: {dead_tmp} (none left after the restarts)",
            f"  restart to ready: {stats(ready_times)}",
            f"  quota-proxyctl disable/enable acknowledged: {operator.acknowledged} (failed while a service was down: {operator.failed}); lost: "
            f"{sum(1 for f in check_failures if 'was lost' in f)}",
            f"  client requests: {sum(codes.values())}, answered {answered} ("
            + ", ".join(f"{k}: {v}" for k, v in sorted(codes.items(), key=lambda kv: str(kv[0]))) + ")",
            f"part 2 (SIGTERM): {stops} stops, {len(stop_failures)} failure(s); SIGTERM to exit: {stats(stop_times)}",
            f"secrets in logs and request log: {len(secrets)}",
        ]
    except Exception as error:
        failures.append(f"the run stopped: {type(error).__name__}: {error}")
    finally:
        load_stop.set()
        stack.stop()
    return st.report("reliability-crash", figures, failures)


if __name__ == "__main__":
    sys.exit(main())
