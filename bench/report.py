#!/usr/bin/env python3
"""Turns bench/run.sh's metrics.jsonl into the printed table and results.md (standard library only)."""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess

TARGET_NAMES = {
    "direct": "upstream direct (nginx static)",
    "hop": "nginx `proxy_pass` hop",
    "proxy": "quota-proxy",
    "proxy_scale": "quota-proxy",
    "translated": "quota-proxy, translated",
    "litellm": "LiteLLM proxy (peer)",
}

# The targets of the performance issue.
THROUGHPUT_RATIO_MIN = 0.50
ADDED_P50_MAX_US = 100.0
PEAK_RSS_MAX_MIB = 64.0
STREAM_ADDED_TTFB_MAX_MS = 2.0
READY_MAX_MS = 2000.0
REQUEST_BYTES = len('{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}')
TRANSLATED_REQUEST_BYTES = len('{"model":"gpt-4o-mini","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}')


def run(*command):
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine(root, proxy_binary):
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    debian = ""
    try:
        with open("/etc/debian_version") as f:
            debian = "Debian " + f.read().strip()
    except OSError:
        pass
    mem_kib = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    commit = run("git", "-C", root, "rev-parse", "HEAD") or "unknown"
    dirty = run("git", "-C", root, "status", "--porcelain", "--", "Sources", "Package.swift", "Package.resolved")
    nginx_version = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip().replace("nginx version: ", "")
    nginx_version = nginx_version.replace("nginx/", "nginx ")
    wrk_version = run("wrk", "-v").split("\n")[0].split(" [")[0]
    swift_version = run("swift", "--version").split("\n")[0]
    built = ""
    try:
        built = datetime.datetime.fromtimestamp(os.path.getmtime(proxy_binary), datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_kib / 1048576, 1),
        "os": debian or platform.platform(),
        "kernel": platform.release(),
        "commit": commit,
        "dirty": bool(dirty),
        "nginx": nginx_version,
        "wrk": wrk_version,
        "swift": swift_version,
        "proxy_built": built,
    }


def fmt_us(value):
    if value is None:
        return "–"
    if value >= 10000:
        return f"{value / 1000:.1f} ms"
    return f"{value:.0f} µs"


def fmt_rps(value):
    return "–" if value is None else f"{value:,.0f}"


def fmt_ratio(value):
    return "–" if value is None else f"{value:.2f}"


def fmt_ratio_wide(value):
    """Ratios against the peer span orders of magnitude: 0.0013, 0.42, 17.3, 1,250."""
    if value is None:
        return "–"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 0.1:
        return f"{value:.2f}"
    return f"{value:.2g}"


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--metrics", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--command", required=True)
    parser.add_argument("--loadavg", default="")
    parser.add_argument("--busy", default="")
    parser.add_argument("--busy-end", default="")
    parser.add_argument("--proxy-binary", default="")
    parser.add_argument("--setting", action="append", default=[])
    args = parser.parse_args()

    lines = [json.loads(line) for line in open(args.metrics) if line.strip()]
    wrk_runs = [m for m in lines if m.get("kind") in ("throughput", "latency")]
    by = {}
    for m in wrk_runs:
        by.setdefault((m["target"], m["kind"]), []).append(m)

    problems = []
    noisy = []
    for m in wrk_runs:
        seconds = m["wrk"]["duration_us"] / 1e6
        if "other_ticks" in m:
            m["other_pct"] = m["other_ticks"] / m["clk_tck"] / seconds * 100
            m["steal_pct"] = m["steal_ticks"] / m["clk_tck"] / seconds * 100
            if m["other_pct"] >= 20 or m["steal_pct"] >= 10:
                noisy.append(f"{m['target']} {m['kind']}: {m['other_pct']:.0f}% of a core used by other processes"
                             + (f", {m['steal_pct']:.0f}% stolen by the hypervisor" if m["steal_pct"] >= 1 else ""))
        errors = sum(m["wrk"]["errors"].values())
        if errors or m["wrk"]["requests"] == 0:
            problems.append(f"{m['target']} {m['kind']} round {m['round']}: {errors} wrk errors "
                            f"({m['wrk']['errors']}), {m['wrk']['requests']} requests — its figures are not valid")

    def figure(target, kind, key):
        return median([m["wrk"][key] for m in by.get((target, kind), [])])

    def cpu_per_request(target):
        values = []
        for m in by.get((target, "throughput"), []):
            if m["wrk"]["requests"]:
                values.append(m["cpu_ticks"] / m["clk_tck"] / m["wrk"]["requests"] * 1e6)
        return median(values)

    memory = {m["target"]: m for m in lines if m.get("kind") == "memory"}
    streaming = next((m for m in lines if m.get("kind") == "streaming"), None)
    startup = next((m for m in lines if m.get("kind") == "startup"), None)
    peer = next((m for m in lines if m.get("kind") == "peer" and m.get("target") == "litellm"), None)
    settings = dict(s.split("=", 1) for s in args.setting)
    pool = settings.get("pool_accounts", "?")
    scale = settings.get("scale_accounts", "?")

    rows = []
    for target, label in (("direct", TARGET_NAMES["direct"]), ("hop", TARGET_NAMES["hop"]),
                          ("proxy", f"quota-proxy ({pool} accounts)"),
                          ("translated", f"quota-proxy ({pool} accounts), Anthropic client → OpenAI accounts (translated)"),
                          ("proxy_scale", f"quota-proxy ({int(scale):,} accounts)" if scale.isdigit() else "quota-proxy (scale)"),
                          ("litellm", "*peer:* LiteLLM %s proxy (%s worker%s)" % (
                              (peer or {}).get("version") or "", (peer or {}).get("workers") or "1",
                              "" if str((peer or {}).get("workers") or "1") == "1" else "s"))):
        if (target, "throughput") not in by:
            continue
        rss = memory.get(target, {}).get("vmhwm_kib")
        rows.append({
            "target": target,
            "label": label,
            "rps": figure(target, "throughput", "rps"),
            "p99_32": figure(target, "throughput", "p99_us"),
            "p50": figure(target, "latency", "p50_us"),
            "p99": figure(target, "latency", "p99_us"),
            "cpu": cpu_per_request(target),
            "rss_mib": rss / 1024 if rss else None,
        })
    row = {r["target"]: r for r in rows}

    def ratio(a, b, key):
        if a in row and b in row and row[a][key] and row[b][key]:
            return row[a][key] / row[b][key]
        return None

    def added(target, key):
        if target in row and "direct" in row and row[target][key] is not None and row["direct"][key] is not None:
            return row[target][key] - row["direct"][key]
        return None

    out = []
    out.append("| target | req/s @%s conn | p50 @1 conn | p99 @1 conn | CPU per request | peak RSS |"
               % settings.get("connections", "32"))
    out.append("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        out.append("| %s | %s | %s | %s | %s | %s |" % (
            r["label"], fmt_rps(r["rps"]), fmt_us(r["p50"]), fmt_us(r["p99"]), fmt_us(r["cpu"]),
            "–" if r["rss_mib"] is None else f"{r['rss_mib']:.1f} MiB"))
    table = "\n".join(out)

    throughput_ratio = ratio("proxy", "hop", "rps")
    added_p50_proxy = added("proxy", "p50")
    added_p50_hop = added("hop", "p50")
    ratio_lines = [
        "| quota-proxy ÷ nginx hop | value |",
        "|---|---:|",
        f"| throughput (req/s @{settings.get('connections', '32')}) | {fmt_ratio(throughput_ratio)} |",
        f"| p50 latency @1 | {fmt_ratio(ratio('proxy', 'hop', 'p50'))} |",
        f"| p99 latency @1 | {fmt_ratio(ratio('proxy', 'hop', 'p99'))} |",
        f"| CPU time per request | {fmt_ratio(ratio('proxy', 'hop', 'cpu'))} |",
        f"| added p50 over direct: quota-proxy / nginx hop | {fmt_us(added_p50_proxy)} / {fmt_us(added_p50_hop)} |",
    ]
    if "translated" in row:
        ratio_lines += [
            f"| translated ÷ native, quota-proxy req/s | {fmt_ratio(ratio('translated', 'proxy', 'rps'))} |",
            f"| translated ÷ native, quota-proxy CPU per request | {fmt_ratio(ratio('translated', 'proxy', 'cpu'))} |",
            "| translation's added p50 (translated − native) | %s |" % (
                fmt_us(row["translated"]["p50"] - row["proxy"]["p50"])
                if row["translated"]["p50"] is not None and row["proxy"]["p50"] is not None else "–"),
        ]
    if "proxy_scale" in row:
        ratio_lines.append(
            f"| {int(scale):,} accounts ÷ {pool} accounts, quota-proxy req/s | {fmt_ratio(ratio('proxy_scale', 'proxy', 'rps'))} |"
            if scale.isdigit() else "")
    ratios = "\n".join(line for line in ratio_lines if line)

    # The peer: LiteLLM's proxy on the same upstream, when bench/run.sh could include it.
    peer_text = ""
    if "litellm" in row:
        conn = settings.get("connections", "32")
        peer_text = "\n".join([
            "| peer: LiteLLM | LiteLLM ÷ nginx hop | quota-proxy ÷ LiteLLM |",
            "|---|---:|---:|",
            f"| throughput (req/s @{conn}) | {fmt_ratio_wide(ratio('litellm', 'hop', 'rps'))} | {fmt_ratio_wide(ratio('proxy', 'litellm', 'rps'))} |",
            f"| p50 latency @1 | {fmt_ratio_wide(ratio('litellm', 'hop', 'p50'))} | {fmt_ratio_wide(ratio('proxy', 'litellm', 'p50'))} |",
            f"| p99 latency @1 | {fmt_ratio_wide(ratio('litellm', 'hop', 'p99'))} | {fmt_ratio_wide(ratio('proxy', 'litellm', 'p99'))} |",
            f"| CPU time per request | {fmt_ratio_wide(ratio('litellm', 'hop', 'cpu'))} | {fmt_ratio_wide(ratio('proxy', 'litellm', 'cpu'))} |",
            f"| added p50 over direct: LiteLLM / quota-proxy | {fmt_us(added('litellm', 'p50'))} / {fmt_us(added_p50_proxy)} | |",
        ])
        peer_note = (
            f"Peer: LiteLLM {peer.get('version') or ''} (`litellm --config`, {peer.get('workers') or 1} uvicorn "
            f"worker(s), master key, no database, access log off) with one `openai/` model whose `api_base` is the "
            f"same nginx upstream; it answered after {peer.get('start_s') or '?'} s. It serves tens of requests/s, so "
            f"its runs are shorter ({settings.get('litellm_duration_s', '?')} s after a "
            f"{settings.get('litellm_warmup_s', '?')} s warm-up) and its p99 rests on few requests; CPU and peak RSS "
            f"are for its whole process tree." if peer else "Peer: LiteLLM.")
    elif peer:
        status = "not measured (start-up or answer check failed)" if peer.get("status") == "failed" else "skipped"
        peer_note = f"Peer (LiteLLM): {status} — {peer.get('reason') or 'no reason recorded'}."
    else:
        peer_note = ""

    stream_text = ""
    stream_added_first_byte = stream_added_first_event = None
    streams = None
    if streaming:
        s = streaming["result"]["targets"]
        d, p = s["direct"], s["proxy"]
        stream_added_first_byte = p["first_byte_ms"] - d["first_byte_ms"]
        stream_added_first_event = p["first_event_ms"] - d["first_event_ms"]
        delay = streaming["delay_ms"]
        # Relayed chunk by chunk: the events arrive spread out like the upstream's, and the first one
        # arrives long before the answer ends.
        streams = (p["events_early_min"] >= max(1, d["events_early_min"] - 1)
                   and p["first_event_ms"] < p["last_byte_ms"] - delay)
        stream_text = "\n".join([
            f"Simulator: SSE chat completion, {d['events']:.0f} events, {delay} ms between events; "
            f"{streaming['result']['reps']} requests each (fresh connection each), medians.",
            "",
            "| | first byte | first event | last byte | median gap between events | events ≥10 ms before the end (min) |",
            "|---|---:|---:|---:|---:|---:|",
            f"| direct | {d['first_byte_ms']:.2f} ms | {d['first_event_ms']:.2f} ms | {d['last_byte_ms']:.1f} ms | {d['median_gap_ms']:.1f} ms | {d['events_early_min']} |",
            f"| through quota-proxy | {p['first_byte_ms']:.2f} ms | {p['first_event_ms']:.2f} ms | {p['last_byte_ms']:.1f} ms | {p['median_gap_ms']:.1f} ms | {p['events_early_min']} |",
            f"| added by quota-proxy | {stream_added_first_byte:+.2f} ms | {stream_added_first_event:+.2f} ms | {p['last_byte_ms'] - d['last_byte_ms']:+.2f} ms | | |",
        ])
        t = s.get("translated")
        if t:
            stream_text += "\n" + "\n".join([
                f"| translated (Anthropic client → OpenAI account) | {t['first_byte_ms']:.2f} ms | {t['first_event_ms']:.2f} ms | {t['last_byte_ms']:.1f} ms | {t['median_gap_ms']:.1f} ms | {t['events_early_min']} |",
                f"| added by translation (translated − native) | {t['first_byte_ms'] - p['first_byte_ms']:+.2f} ms | {t['first_event_ms'] - p['first_event_ms']:+.2f} ms | {t['last_byte_ms'] - p['last_byte_ms']:+.2f} ms | | |",
            ])
            stream_text += ("\n\nThe translated stream's first event is its `message_start`, which waits for the upstream's "
                            "first content so that it can carry the input tokens (the upstream's first chunk has only the "
                            "role); its first text therefore reaches the client with the upstream's first text, as in the "
                            "native stream, and the first-event difference is about one upstream event gap. At the end, "
                            "`message_delta` waits for the usage chunk the proxy asks the upstream for "
                            "(`stream_options.include_usage`), one more upstream event, so that it carries the output tokens.")

    startup_text = ""
    ready_max = None
    if startup:
        r = startup["result"]
        ready_max = r["ready_ms_max"]
        startup_text = "\n".join([
            f"quota-proxy with {startup['accounts']:,} account files, {len(r['runs'])} starts: process start → `READY=1` "
            f"(sd_notify) median **{r['ready_ms_median']:.0f} ms**, max {r['ready_ms_max']:.0f} ms "
            f"(each: {', '.join('%.0f' % x['ready_ms'] for x in r['runs'])} ms); first proxied answer at "
            f"{r['first_answer_ms_median']:.0f} ms; idle CPU {r['idle_cpu_percent_median']:.1f}% of a core "
            f"(the account folder is re-checked every 2 s); RSS when idle {r['vmhwm_kib_max'] / 1024:.1f} MiB.",
        ])

    peak_rss = max([row[t]["rss_mib"] for t in ("proxy", "proxy_scale") if t in row and row[t]["rss_mib"]] or [0]) or None
    verdicts = []

    def verdict(ok, text):
        verdicts.append(("met" if ok else ("**NOT met**" if ok is not None else "not measured"), text))

    verdict(None if throughput_ratio is None else throughput_ratio >= THROUGHPUT_RATIO_MIN,
            f"throughput ≥ 50% of the nginx hop: {fmt_ratio(throughput_ratio)}")
    verdict(None if added_p50_proxy is None else added_p50_proxy <= ADDED_P50_MAX_US,
            f"added p50 at 1 connection ≤ 100 µs over direct: {fmt_us(added_p50_proxy)}")
    verdict(None if peak_rss is None else peak_rss <= PEAK_RSS_MAX_MIB,
            f"peak RSS under load ≤ 64 MiB: {peak_rss:.1f} MiB" if peak_rss else "peak RSS ≤ 64 MiB")
    if streaming:
        worst = max(stream_added_first_byte, stream_added_first_event)
        verdict(worst <= STREAM_ADDED_TTFB_MAX_MS,
                f"streaming adds ≤ 2 ms to time to first byte: {stream_added_first_byte:+.2f} ms (first event {stream_added_first_event:+.2f} ms)")
        verdict(streams, "streaming never buffers a whole answer: "
                + ("events arrive as the upstream sends them" if streams else "events arrive bunched at the end"))
    if startup:
        verdict(ready_max <= READY_MAX_MS, f"{startup['accounts']:,} accounts reach READY in ≤ 2 s: max {ready_max:.0f} ms")

    info = machine(args.root, args.proxy_binary)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    commit = info["commit"][:12] + (" (with uncommitted changes in Sources/)" if info["dirty"] else "")

    raw = ["| target | kind | round | req/s | p50 | p90 | p99 | max | requests | errors | target CPU s | wrk CPU s | other load | steal |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for m in wrk_runs:
        w = m["wrk"]
        raw.append("| %s | %s@%d | %d | %s | %s | %s | %s | %s | %d | %d | %.2f | %s | %s | %s |" % (
            m["target"], m["kind"], m["connections"], m["round"], fmt_rps(w["rps"]), fmt_us(w["p50_us"]),
            fmt_us(w["p90_us"]), fmt_us(w["p99_us"]), fmt_us(w["max_us"]), w["requests"], sum(w["errors"].values()),
            m["cpu_ticks"] / m["clk_tck"],
            "%.2f" % (m["wrk_cpu_ticks"] / m["clk_tck"]) if "wrk_cpu_ticks" in m else "–",
            "%.0f%%" % m["other_pct"] if "other_pct" in m else "–",
            "%.0f%%" % m["steal_pct"] if "steal_pct" in m else "–"))

    md = [
        "# quota-proxy benchmark results",
        "",
        f"- **Date:** {now}",
        f"- **Commit:** `{commit}` (quota-proxy release binary built {info['proxy_built']})",
        f"- **Command:** `{args.command}`",
        f"- **Machine:** {info['nproc']} cores ({info['cpu']}), {info['memory_gib']} GiB, {info['os']}, Linux {info['kernel']}",
        f"- **Tools:** {info['nginx']}, {info['wrk']}, {info['swift']}"
        + (f", LiteLLM {peer['version']} (peer)" if peer and peer.get("status") == "measured" else ""),
        f"- **Other load:** before the run {args.busy or '?'} (load average {args.loadavg or '?'}); "
        f"after it {args.busy_end or '?'}",
        "",
        "Everything runs on 127.0.0.1 on the same machine as wrk (`wrk -t1`, a "
        f"{REQUEST_BYTES}-byte chat POST); "
        "the upstream is nginx answering a fixed ~330-byte chat completion with keep-alive; the nginx hop is "
        "`proxy_pass` with an upstream `keepalive 64` pool; quota-proxy has "
        f"{pool} accounts on that upstream. The translated row sends the same question as a "
        f"{TRANSLATED_REQUEST_BYTES}-byte Anthropic Messages request to `/v1/messages`: quota-proxy translates it to a chat "
        "completion for the OpenAI accounts and their answer back to an Anthropic message. "
        "Absolute numbers drift on a shared machine: compare within a run.",
        "",
        "## Throughput and latency",
        "",
        table,
        "",
        "CPU per request: user+system CPU time of the target's processes (nginx: master and workers; "
        "LiteLLM: its process tree) during "
        "the throughput run, divided by the requests served. It is less sensitive to other load than req/s, "
        "but still moves by about ±15% between runs on this kind of machine.",
        "",
        ratios,
        "",
    ]
    if peer_text:
        md += [peer_text, "", peer_note, ""]
    elif peer_note:
        md += [peer_note, ""]
    if stream_text:
        md += ["## Streaming (SSE)", "", stream_text, ""]
    if startup_text:
        md += [f"## Start-up with {int(scale):,} accounts" if scale.isdigit() else "## Start-up", "", startup_text, ""]
    md += ["## Targets", ""]
    md += [f"- {state}: {text}" for state, text in verdicts]
    if noisy:
        md += ["", "## Interference", "",
               "Measured runs during which other processes on the machine were busy (their figures are pessimistic):", ""]
        md += [f"- {n}" for n in noisy]
    if problems:
        md += ["", "## Problems in this run", ""] + [f"- {p}" for p in problems]
    md += ["", "## Raw runs", "", "\n".join(raw), "",
           "Settings: " + ", ".join(f"{k}={v}" for k, v in settings.items()), ""]
    with open(args.out, "w") as f:
        f.write("\n".join(md))

    print()
    print(table)
    print()
    print(ratios)
    if peer_text:
        print()
        print(peer_text)
    elif peer_note:
        print()
        print(peer_note)
    if stream_text:
        print()
        print(stream_text)
    if startup_text:
        print()
        print(startup_text)
    print()
    for state, text in verdicts:
        print(f"- {state.replace('**', '')}: {text}")
    for n in noisy:
        print(f"! other load: {n}")
    for p in problems:
        print(f"! {p}")


if __name__ == "__main__":
    main()
