#!/usr/bin/python3
"""Waits on a netdata agent's web API, for docs/screenshots.sh.

  agent.py URL charts SECONDS          our four charts exist
  agent.py URL alarms SECONDS          our alarms are loaded
  agent.py URL uptime-over N SECONDS   netdata has been up more than N s
  agent.py URL raised ALARM SECONDS    CHART.ALARM is WARNING or CRITICAL
  agent.py URL uptime                  prints netdata's uptime in seconds

Each wait polls twice a second and fails (exit 1, saying what it saw last)
after SECONDS, or at once when netdata's pid is given first
(agent.py --netdata-pid PID URL ...) and that process is gone.
"""

import json
import os
import sys
import time
import urllib.request

CHARTS = ["tcp_resets.resets", "tcp_resets.causes", "tcp_resets.syncookies",
          "tcp_resets.spoofing"]
ALARMS = ["tcp_resets.resets.10s_ipv4_tcp_resets_received",
          "tcp_resets.resets.10s_ipv4_tcp_resets_sent",
          "tcp_resets.syncookies.tcp_resets_queue_full_without_syncookies",
          "tcp_resets.spoofing.10s_tcp_challenge_acks"]


def get(url, path):
    try:
        with urllib.request.urlopen(url + path, timeout=5) as r:
            return json.load(r)
    except (OSError, ValueError):
        return None


def uptime(url):
    v = get(url, "/api/v1/data?chart=netdata.uptime&points=1&after=-1&format=json")
    try:
        return float(v["data"][0][1])
    except (TypeError, KeyError, IndexError, ValueError):
        return None


def alarms(url):
    v = get(url, "/api/v1/alarms?all")
    return (v or {}).get("alarms")


def wait(what, limit, probe, netdata_pid):
    end = time.monotonic() + limit
    seen = None
    while True:
        ok, seen = probe()
        if ok:
            return
        if netdata_pid and not os.path.exists(f"/proc/{netdata_pid}"):
            sys.exit(f"netdata (pid {netdata_pid}) exited while waiting for {what}")
        if time.monotonic() > end:
            sys.exit(f"gave up after {limit:.0f} s waiting for {what}; last seen: {seen}")
        time.sleep(0.5)


def main():
    args = sys.argv[1:]
    netdata_pid = None
    if args[:1] == ["--netdata-pid"]:
        netdata_pid, args = args[1], args[2:]
    if len(args) < 2:
        sys.exit(__doc__)
    url, cmd, rest = args[0].rstrip("/"), args[1], args[2:]
    if cmd == "uptime":
        u = uptime(url)
        if u is None:
            sys.exit("no uptime from netdata")
        print(int(u))
    elif cmd == "charts":
        def probe():
            v = get(url, "/api/v1/charts") or {}
            have = sorted(c for c in CHARTS if c in v.get("charts", {}))
            return len(have) == len(CHARTS), have
        wait("our four charts", float(rest[0]), probe, netdata_pid)
    elif cmd == "alarms":
        def probe():
            a = alarms(url) or {}
            have = sorted(n for n in ALARMS if n in a)
            return len(have) == len(ALARMS), have
        wait("our alarms", float(rest[0]), probe, netdata_pid)
    elif cmd == "uptime-over":
        n = float(rest[0])

        def probe():
            u = uptime(url)
            return u is not None and u > n, u
        wait(f"netdata's uptime to pass {n:.0f} s", float(rest[1]), probe, netdata_pid)
    elif cmd == "raised":
        name = rest[0]

        def probe():
            a = (alarms(url) or {}).get(name) or {}
            status = a.get("status")
            return status in ("WARNING", "CRITICAL"), f"{status} (value {a.get('value')})"
        wait(f"{name} to be raised", float(rest[1]), probe, netdata_pid)
    else:
        sys.exit(f"unknown command {cmd!r}\n{__doc__}")


if __name__ == "__main__":
    main()
