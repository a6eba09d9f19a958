#!/usr/bin/python3
"""The fake judge's steady-state answer rate while one command runs (issue 13's measure).

  steady_rate.py --base-url URL --out FILE -- CMD [ARG...]

Polls the fake judge's GET /stats (completions_ok) every --interval seconds over one kept-alive
connection while CMD runs, from a thread that --poll-cpu can move to the server's CPU, and
writes one JSON object to FILE: the answers per second between the moments the count crossed
--lo and --hi of its final value (interpolated between polls), and CMD's CPU (user + system,
all threads, from /proc) per answer and per second over the same window. Start-up (input
survey, first connections) and the end of the run (the last replies, the final validation,
the manifest) are outside the window. Exits with CMD's status.
Not a test: bench/judge_bench.sh runs it around cai through cai_candidate.sh.
"""
import argparse
import http.client
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse


def proc_cpu_s(pid):
    """user + system CPU seconds of process pid (all its threads) so far, or None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def steal_s():
    """Hypervisor steal so far, all CPUs, in CPU-seconds (/proc/stat)."""
    with open("/proc/stat") as f:
        fields = f.readline().split()
    return int(fields[8]) / os.sysconf("SC_CLK_TCK")


def completions(base_url):
    """A function that returns the server's completions_ok so far (one kept-alive connection)."""
    u = urllib.parse.urlsplit(base_url)
    conn = [None]

    def get():
        try:
            if conn[0] is None:
                conn[0] = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
            conn[0].request("GET", "/stats")
            return json.loads(conn[0].getresponse().read())["completions_ok"]
        except (OSError, http.client.HTTPException, ValueError):
            conn[0] = None
            return None
    return get


def poll(get, base, interval, samples, stop, cpu, child):
    if cpu is not None:  # this thread only (the command keeps the affinity it was given)
        os.sched_setaffinity(0, {cpu})
    while not stop.is_set():
        t = time.monotonic()
        n = get()
        if n is not None:
            samples.append((t, n - base, proc_cpu_s(child)))
        stop.wait(interval)


def crossing(samples, level):
    """Interpolated time and command CPU seconds at which the count first reached level."""
    for (t0, c0, u0), (t1, c1, u1) in zip(samples, samples[1:]):
        if c0 < level <= c1:
            f = (level - c0) / (c1 - c0)
            cpu = None if u0 is None or u1 is None else u0 + (u1 - u0) * f
            return t0 + (t1 - t0) * f, cpu
    return None, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--interval", type=float, default=0.02)
    ap.add_argument("--lo", type=float, default=0.2)
    ap.add_argument("--hi", type=float, default=0.8)
    ap.add_argument("--poll-cpu", type=int, help="run the polling thread on this CPU (the server's)")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
    get = completions(a.base_url)
    base = get()  # the server's count before the command (the harness may not have reset it)
    if base is None:
        sys.exit("steady_rate: no answer from %s/stats" % a.base_url.rsplit("/v1", 1)[0])
    samples, stop = [], threading.Event()
    t_start, st0 = time.monotonic(), steal_s()
    proc = subprocess.Popen(cmd)
    th = threading.Thread(target=poll, args=(get, base, a.interval, samples, stop, a.poll_cpu, proc.pid),
                          daemon=True)
    th.start()
    rc = proc.wait()
    t_end = time.monotonic()
    stop.set()
    th.join()
    final = samples[-1][1] if samples else 0
    row = {"final": final, "wall_s": t_end - t_start, "polls": len(samples), "lo": a.lo, "hi": a.hi,
           # CPU time the hypervisor gave to others while we ran: tens of % make the run suspect
           "steal_pct": 100 * (steal_s() - st0) / (t_end - t_start)}
    (lo_t, lo_u), (hi_t, hi_u) = crossing(samples, a.lo * final), crossing(samples, a.hi * final)
    if final and lo_t is not None and hi_t is not None and hi_t > lo_t:
        n = (a.hi - a.lo) * final
        row.update(steady_rps=n / (hi_t - lo_t), window_s=hi_t - lo_t, window_start_s=lo_t - t_start)
        if lo_u is not None and hi_u is not None:  # the command's CPU over the same window
            row.update(cpu_ms_per_answer=1000 * (hi_u - lo_u) / n, cpu_busy=(hi_u - lo_u) / (hi_t - lo_t))
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(row, f)
        f.write("\n")
    return rc


if __name__ == "__main__":
    sys.exit(main())
