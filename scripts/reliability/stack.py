"""A quota-proxy stack for the long reliability scripts: the upstream simulator, account files,
the three services, and what the scripts measure on them (control-socket calls, HTTP calls, RSS,
secrets in logs). Standard library only; everything on loopback, in one temporary folder.

Used by scripts/reliability-fuzz.py, scripts/reliability-load.py and
scripts/reliability-state.sh (through `python3 scripts/reliability/stack.py check-state`).
"""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SERVICES = ("quota-proxy", "quota-scheduler", "quota-refresher")
SOCKETS = {"quota-proxy": "proxy.sock", "quota-scheduler": "scheduler.sock", "quota-refresher": "refresher.sock"}
EXECUTABLES = SERVICES + ("quota-proxyctl", "quota-upstream-sim")
CLIENT_KEY = "rel-client-key-5c1f0e2b9d"
ADMIN_KEY = "rel-admin-key-77a3c9e410"


def repo_root():
    return os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def find_bin(requested):
    """The folder of the built executables: --bin, $BIN, else the release build, else the debug one."""
    candidates = [requested, os.environ.get("BIN")] if (requested or os.environ.get("BIN")) else [
        os.path.join(repo_root(), ".build", "release"), os.path.join(repo_root(), ".build", "debug")]
    for folder in candidates:
        if folder and all(os.access(os.path.join(folder, exe), os.X_OK) for exe in EXECUTABLES):
            return os.path.realpath(folder)
    raise SystemExit(
        "build first: swift build -c release (or swift build, then --bin .build/debug); "
        f"looked in {', '.join(c for c in candidates if c)} for {', '.join(EXECUTABLES)}")


def build_kind(bin_dir):
    """'release' or 'debug', from the folder SwiftPM put the executables in."""
    real = os.path.realpath(bin_dir)
    return "release" if "/release" in real else "debug" if "/debug" in real else real


def git_commit():
    try:
        return subprocess.run(["git", "-C", repo_root(), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except Exception:
        return "unknown"


def rss_bytes(pid):
    """Resident set size of a process (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def open_descriptors(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def cpu_seconds(pid):
    """User + system CPU time of a process, in seconds."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def control(path, request, timeout=10.0):
    """Sends one request line to a control socket and returns the decoded answer."""
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(timeout)
        sock.connect(path)
        sock.sendall(json.dumps(request).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return json.loads(data)


def report(name, figures, failures):
    """Prints a script's figures and failures; returns its exit status (1 when a figure failed)."""
    print(f"\n== {name}: figures ==")
    for line in figures:
        print(line)
    if failures:
        print(f"\nFAILED ({len(failures)}):")
        for failure in failures:
            print("  " + failure)
        return 1
    print("\nall figures held")
    return 0


def mib(value):
    return f"{value / 1048576:.1f} MiB"


class Stack:
    """The upstream simulator, accounts and the three services in a temporary folder."""

    def __init__(self, bin_dir, keep=False, log_level="info", prefix="qp-reliability"):
        self.bin = bin_dir
        self.keep = keep
        self.log_level = log_level
        self.work = tempfile.mkdtemp(prefix=prefix + ".", dir="/tmp")
        self.state = os.path.join(self.work, "state")
        self.run_dir = os.path.join(self.work, "run")
        os.makedirs(os.path.join(self.state, "accounts"))
        os.makedirs(self.run_dir)
        self.processes = {}
        self.sim = None
        self.sim_port = None
        self.port = None
        self.secrets = {"client key": CLIENT_KEY, "admin key": ADMIN_KEY}
        self.config = {}

    # -- the upstream simulator ---------------------------------------------------------------

    def start_simulator(self, keys, extra=None):
        """Starts quota-upstream-sim with these keys ({"key", "models"?, ...} each)."""
        config = {"keys": keys}
        config.update(extra or {})
        path = os.path.join(self.work, "sim.json")
        with open(path, "w") as out:
            json.dump(config, out)
        for key in keys:
            self.secrets[f"upstream key {key['key']}"] = key["key"]
        stdout = open(os.path.join(self.work, "sim.out"), "w")
        stderr = open(os.path.join(self.work, "sim.log"), "w")
        self.sim = subprocess.Popen(
            [os.path.join(self.bin, "quota-upstream-sim"), "--port", "0", "--config", path, "--log-level", "error"],
            stdout=stdout, stderr=stderr)
        deadline = time.time() + 30
        while time.time() < deadline:
            with open(os.path.join(self.work, "sim.out")) as out:
                match = re.search(r'"port":(\d+)', out.read())
            if match:
                self.sim_port = int(match.group(1))
                return f"http://127.0.0.1:{self.sim_port}"
            if self.sim.poll() is not None:
                break
            time.sleep(0.05)
        raise SystemExit("the simulator did not start: " + open(os.path.join(self.work, "sim.log")).read()[-2000:])

    @property
    def sim_url(self):
        return f"http://127.0.0.1:{self.sim_port}"

    def sim_call(self, method, path, body=None, timeout=30):
        connection = http.client.HTTPConnection("127.0.0.1", self.sim_port, timeout=timeout)
        try:
            payload = json.dumps(body).encode() if body is not None else None
            connection.request(method, path, body=payload, headers={"content-type": "application/json"})
            answer = connection.getresponse()
            data = answer.read()
            return answer.status, (json.loads(data) if data else None)
        finally:
            connection.close()

    # -- accounts and configuration -----------------------------------------------------------

    def write_account(self, ident, key, provider="openai", models=None, tier="primary", quota_source=None, mode=0o600):
        account = {"id": ident, "label": f"{ident}@reliability.test", "provider": provider,
                   "base_url": self.sim_url, "tier": tier, "credentials": {"api_key": key},
                   "quota_source": quota_source or {"kind": "headers"}}
        if models is not None:
            account["models"] = models
        path = os.path.join(self.state, "accounts", ident + ".json")
        with open(path, "w") as out:
            json.dump(account, out)
        os.chmod(path, mode)
        self.secrets[f"upstream key {key}"] = key

    def write_config(self, extra=None):
        config = {"listen": {"host": "127.0.0.1", "port": 0}, "client_api_keys": [CLIENT_KEY],
                  "admin_api_keys": [ADMIN_KEY],
                  "dashboard": {"enabled": True, "assets_dir": os.path.join(repo_root(), "dashboard")}}
        for name, value in (extra or {}).items():
            if isinstance(value, dict) and isinstance(config.get(name), dict):
                config[name] = {**config[name], **value}
            else:
                config[name] = value
        self.config = config
        with open(os.path.join(self.work, "config.json"), "w") as out:
            json.dump(config, out)

    # -- the services -------------------------------------------------------------------------

    def socket_path(self, name):
        return os.path.join(self.run_dir, SOCKETS[name])

    def start(self, name, timeout=60, launcher=()):
        """Starts a service and waits until its control socket answers; returns seconds to ready."""
        started = time.time()
        log = open(os.path.join(self.work, name + ".log"), "a")
        process = subprocess.Popen(
            list(launcher) + [os.path.join(self.bin, name), "--config", os.path.join(self.work, "config.json"),
                              "--state-dir", self.state, "--runtime-dir", self.run_dir, "--log-level", self.log_level],
            stdout=log, stderr=log)
        self.processes[name] = process
        deadline = started + timeout
        while time.time() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode} at start; log tail:\n" + self.log_tail(name))
            try:
                answer = control(self.socket_path(name), {"id": 1, "cmd": "status"}, timeout=2)
                if answer.get("result", {}).get("ready"):
                    if name == "quota-proxy":
                        listen = answer["result"]["details"]["listen"]
                        self.port = int(listen.rsplit(":", 1)[1])
                    return time.time() - started
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{name} was not ready within {timeout} s; log tail:\n" + self.log_tail(name))

    def start_all(self):
        return {name: self.start(name) for name in SERVICES}

    def pid(self, name):
        return self.processes[name].pid

    def alive(self, name):
        process = self.processes.get(name)
        return process is not None and process.poll() is None

    def kill(self, name, sig=signal.SIGKILL):
        process = self.processes[name]
        try:
            process.send_signal(sig)
        except ProcessLookupError:
            pass
        return process.wait()

    def control(self, name, request, timeout=10.0):
        return control(self.socket_path(name), request, timeout)

    def log_tail(self, name, size=3000):
        try:
            with open(os.path.join(self.work, name + ".log"), errors="replace") as log:
                return log.read()[-size:]
        except OSError:
            return ""

    def stop(self):
        """SIGTERM to each service (SIGKILL after 10 s), then the simulator; removes the folder unless kept."""
        for name, process in self.processes.items():
            if process.poll() is None:
                process.terminate()
        for name, process in self.processes.items():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.sim and self.sim.poll() is None:
            self.sim.terminate()
            try:
                self.sim.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.sim.kill()
        if self.keep:
            print(f"kept {self.work}")
        else:
            shutil.rmtree(self.work, ignore_errors=True)

    # -- HTTP ---------------------------------------------------------------------------------

    def http(self, method, path, body=None, headers=None, timeout=30, key=CLIENT_KEY):
        """One request to the proxy; returns (status, headers dict lower-cased, body bytes)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            all_headers = {"content-type": "application/json"}
            if key:
                all_headers["authorization"] = "Bearer " + key
            all_headers.update(headers or {})
            payload = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
            connection.request(method, path, body=payload, headers=all_headers)
            answer = connection.getresponse()
            data = answer.read()
            return answer.status, {k.lower(): v for k, v in answer.getheaders()}, data
        finally:
            connection.close()

    def chat(self, model="gpt-4o-mini", timeout=30):
        return self.http("POST", "/v1/chat/completions",
                         {"model": model, "messages": [{"role": "user", "content": "hi"}]}, timeout=timeout)

    # -- secrets ------------------------------------------------------------------------------

    def secret_findings(self):
        """(file, what) for every secret found in a log or request-log file of the stack."""
        files = [os.path.join(self.work, name + ".log") for name in SERVICES]
        for folder in (self.state, os.path.join(self.state, "requests")):
            if os.path.isdir(folder):
                files += [os.path.join(folder, name) for name in os.listdir(folder) if name.endswith(".jsonl")]
        findings = []
        for path in files:
            try:
                data = open(path, "rb").read()
            except OSError:
                continue
            for what, secret in self.secrets.items():
                if secret.encode() in data:
                    findings.append((path, what))
        return findings


# -- the crash-safety checker (used by scripts/reliability-state.sh) ----------------------------

def check_state(state, memo_path, phase, expected_accounts):
    """Checks a state folder after a kill or a restart. Remembers credentials and quota times in
    memo_path between calls. Prints one "checked=…" line and FAIL lines; returns the failures."""
    memo = json.load(open(memo_path)) if os.path.exists(memo_path) else {"keys": {}, "updated": {}}
    fails, torn, checked, tmp_dead = [], 0, 0, 0

    def alive(pid):
        try:
            os.kill(pid, 0)
            return True
        except ProcessLookupError:
            return False
        except PermissionError:
            return True

    temporary = re.compile(r"^\..+\.tmp-(\d+)-(\d+)$")
    for folder in (state, os.path.join(state, "accounts")):
        for name in os.listdir(folder):
            match = temporary.match(name)
            if match and not alive(int(match.group(1))):
                tmp_dead += 1
                if phase == "after-restart":
                    fails.append(f"temporary file of a dead writer left after a restart: {folder}/{name}")
            elif name.endswith(".tmp") or ".tmp-" in name:
                if phase == "after-restart" and not match:
                    fails.append(f"unexpected temporary file: {folder}/{name}")
    accounts = {}
    for name in sorted(os.listdir(os.path.join(state, "accounts"))):
        if not name.endswith(".json") or name.startswith("."):
            continue
        path = os.path.join(state, "accounts", name)
        checked += 1
        try:
            obj = json.load(open(path))
        except Exception as error:
            fails.append(f"{path} does not parse: {error}")
            continue
        if obj.get("id") != name[:-5]:
            fails.append(f"{path} holds id {obj.get('id')}")
        mode = os.stat(path).st_mode & 0o777
        if mode & 0o077:
            fails.append(f"{path} has mode {mode:o} (group or others may read it)")
        accounts[obj.get("id")] = obj
    for ident in expected_accounts:
        if ident not in accounts:
            fails.append(f"account {ident} is missing")
    for ident, obj in accounts.items():
        key = (obj.get("credentials") or {}).get("api_key")
        if memo["keys"].setdefault(ident, key) != key:
            fails.append(f"{ident}: credential changed")
        updated = (obj.get("quota") or {}).get("last_updated")
        if updated is not None:
            if updated < memo["updated"].get(ident, 0):
                fails.append(f"{ident}: quota.last_updated went back from {memo['updated'][ident]} to {updated}")
            memo["updated"][ident] = updated
    for name in ("cooldowns.json", "warmup_history.json", "anonymous.json"):
        path = os.path.join(state, name)
        if os.path.exists(path):
            checked += 1
            try:
                json.load(open(path))
            except Exception as error:
                fails.append(f"{path} does not parse: {error}")
    for folder, suffix in ((os.path.join(state, "requests"), ".jsonl"), (state, ".jsonl")):
        if not os.path.isdir(folder):
            continue
        for name in os.listdir(folder):
            if not name.endswith(suffix):
                continue
            data = open(os.path.join(folder, name), "rb").read()
            checked += 1
            lines = data.split(b"\n")
            last = lines.pop()  # b"" when the file ends with a line break
            if last:
                torn += 1
            for number, line in enumerate(lines):
                if not line.strip():
                    continue
                try:
                    json.loads(line)
                except Exception:
                    fails.append(f"{folder}/{name} line {number + 1} is not whole (and not the last line)")
    json.dump(memo, open(memo_path, "w"))
    print(f"checked={checked} torn_last_lines={torn} dead_writer_tmp={tmp_dead}")
    for fail in fails[:20]:
        print("FAIL " + fail)
    return fails


if __name__ == "__main__":
    # python3 stack.py check-state STATE MEMO PHASE ACCOUNT...
    if len(sys.argv) >= 5 and sys.argv[1] == "check-state":
        sys.exit(1 if check_state(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]) else 0)
    print(__doc__)
    sys.exit(2)
