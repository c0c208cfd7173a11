#!/usr/bin/env python3
"""Times quota-proxy from process start to readiness (standard library only).

Each repetition starts the proxy with NOTIFY_SOCKET pointing at a datagram socket of ours and
records the time until it sends READY=1 (what systemd waits for), then until its HTTP port
answers a proxied request, its peak RSS, and its CPU use while idle; then stops it with SIGTERM.

  startup_time.py --proxy .build/release/quota-proxy --config C --state-dir S --runtime-dir R \
                  --port 8046 --reps 3 --log proxy-scale.log
"""

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def proc_status(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])  # kB
    return None


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def post(port, model, key, timeout=5.0):
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": "hi"}]}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/chat/completions", data=body, method="POST",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.status


def one_start(args, rep, log):
    notify_dir = tempfile.mkdtemp(prefix="qp-notify-")
    notify_path = os.path.join(notify_dir, "notify.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(notify_path)
    env = dict(os.environ, NOTIFY_SOCKET=notify_path)
    command = [args.proxy, "--config", args.config, "--state-dir", args.state_dir, "--runtime-dir", args.runtime_dir]
    t0 = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log)
    result = {"rep": rep}
    try:
        deadline = t0 + args.timeout
        ready = None
        while ready is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or process.poll() is not None:
                raise RuntimeError("quota-proxy did not send READY=1 (exit status %s)" % process.poll())
            listener.settimeout(min(remaining, 0.5))
            try:
                message = listener.recv(4096).decode(errors="replace")
            except socket.timeout:
                continue
            if "READY=1" in message.split("\n"):
                ready = time.monotonic()
        result["ready_ms"] = (ready - t0) * 1000
        answered = None
        while answered is None:
            try:
                status = post(args.port, args.model, args.key)
                if status != 200:
                    raise RuntimeError(f"quota-proxy answered HTTP {status}")
                answered = time.monotonic()
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.002)
        result["first_answer_ms"] = (answered - t0) * 1000
        # Idle cost with this many accounts (the account folder is re-checked every 2 s).
        before = cpu_seconds(process.pid)
        time.sleep(args.idle_seconds)
        result["idle_cpu_percent"] = (cpu_seconds(process.pid) - before) / args.idle_seconds * 100
        result["vmhwm_kib"] = proc_status(process.pid, "VmHWM")
        result["vmrss_kib"] = proc_status(process.pid, "VmRSS")
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        listener.close()
        os.unlink(notify_path)
        os.rmdir(notify_dir)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--proxy", required=True)
    parser.add_argument("--config", required=True)
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--runtime-dir", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--model", default="gpt-4o-mini")
    parser.add_argument("--key", default="bench-key")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--idle-seconds", type=float, default=4.0)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()

    runs = []
    with open(args.log, "ab") as log:
        for rep in range(1, args.reps + 1):
            runs.append(one_start(args, rep, log))
    ready = [r["ready_ms"] for r in runs]
    print(json.dumps({
        "runs": runs,
        "ready_ms_median": statistics.median(ready),
        "ready_ms_max": max(ready),
        "first_answer_ms_median": statistics.median(r["first_answer_ms"] for r in runs),
        "idle_cpu_percent_median": statistics.median(r["idle_cpu_percent"] for r in runs),
        "vmhwm_kib_max": max(r["vmhwm_kib"] for r in runs),
    }))


if __name__ == "__main__":
    sys.exit(main())
