#!/usr/bin/env python3
"""Shows the libdispatch crash on descriptor exhaustion, outside quota-proxy.

Loads the toolchain's libdispatch (the one Swift concurrency runs on under Linux), starts its
worker pool, lowers RLIMIT_NOFILE to 64 and opens descriptors until EMFILE, then queues 200 work
items that each take 0.5 s. libdispatch's pool monitor runs once a second; when a global queue has
work waiting it opens /proc/<tid>/stat for each worker, and when that open fails it crashes the
process (SIGILL in _dispatch_workq_monitor_pools; src/event/workqueue.c,
_dispatch_workq_count_runnable_workers). Exit 132 (SIGILL) reproduces it; with --control the
limit stays high and it exits 0.

  python3 scripts/reliability/libdispatch-emfile-repro.py [--control] [--libdispatch PATH]
"""
import argparse
import ctypes
import os
import resource
import time

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--control", action="store_true", help="do not run out of descriptors (expect exit 0)")
parser.add_argument("--libdispatch", default="/opt/swift/usr/lib/swift/linux/libdispatch.so")
args = parser.parse_args()

lib = ctypes.CDLL(args.libdispatch)
lib.dispatch_get_global_queue.restype = ctypes.c_void_p
lib.dispatch_get_global_queue.argtypes = [ctypes.c_long, ctypes.c_ulong]
lib.dispatch_async_f.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
WORK = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


@WORK
def work(_):
    time.sleep(0.5)


queue = lib.dispatch_get_global_queue(0, 0)
lib.dispatch_async_f(queue, None, ctypes.cast(work, ctypes.c_void_p))  # the pool and its monitor exist now
time.sleep(2)
held = []
if not args.control:
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    try:
        while True:
            held.append(os.open("/dev/null", os.O_RDONLY))
    except OSError as error:
        print(f"out of descriptors ({error.strerror}) holding {len(held)} more", flush=True)
for _ in range(200):
    lib.dispatch_async_f(queue, None, ctypes.cast(work, ctypes.c_void_p))
time.sleep(5)
print("no crash within 5 s", flush=True)
os._exit(0)
