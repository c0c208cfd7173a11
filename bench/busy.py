#!/usr/bin/env python3
"""Prints how busy the CPUs are over a short window, and the busiest processes.

  busy.py [SECONDS] [--percent]     (--percent: only the overall figure, in % of one core)
"""

import os
import sys
import time

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_total():
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields), idle


def processes():
    result = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                data = f.read()
        except OSError:
            continue
        name = data[data.index("(") + 1:data.rindex(")")]
        fields = data[data.rindex(")") + 2:].split()
        result[int(pid)] = (name, int(fields[11]) + int(fields[12]))
    return result


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    window = float(args[0]) if args else 1.0
    total0, idle0 = cpu_total()
    before = processes()
    time.sleep(window)
    total1, idle1 = cpu_total()
    after = processes()
    busy = 100.0 * (1 - (idle1 - idle0) / max(1, total1 - total0)) * os.cpu_count()
    me = os.getpid()
    top = []
    by_name = {}
    for pid, (name, ticks) in after.items():
        if pid == me:
            continue
        # A process that started within the window counts with all of its CPU time.
        used = ticks - before[pid][1] if pid in before else ticks
        by_name[name] = by_name.get(name, 0) + used / TICKS / window * 100
    top = [(share, name) for name, share in by_name.items() if share >= 5]
    top.sort(reverse=True)
    if "--percent" in sys.argv:
        print(f"{busy:.0f}")
        return
    listing = ", ".join(f"{name} {share:.0f}%" for share, name in top[:6])
    print(f"{busy:.0f}% of {os.cpu_count() * 100}% CPU busy" + (f" ({listing})" if listing else ""))


if __name__ == "__main__":
    main()
