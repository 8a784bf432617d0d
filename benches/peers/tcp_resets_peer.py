#!/usr/bin/env python3
"""A reference peer for the benchmarks only (never installed or shipped): the
resets chart as a small python plugin, columns found by name.
Usage: tcp_resets_peer.py [UPDATE_EVERY [SAMPLES]]; SAMPLES (benchmarks
only): exit 0 right after that many samples, as the plugin's --iterations
does; without it, run until stopped."""
import os
import sys
import time

update_every = int(sys.argv[1]) if len(sys.argv) > 1 else 1
samples = int(sys.argv[2]) if len(sys.argv) > 2 else 0
snmp = os.environ.get("NETDATA_HOST_PREFIX", "") + "/proc/net/snmp"
dims = ("AttemptFails", "EstabResets", "OutRsts")
out = sys.stdout

out.write(
    "CHART tcp_resets.resets '' 'TCP resets' 'events/s' 'resets' 'tcp_resets.resets' "
    f"line 1000 {update_every} '' 'tcp_resets.plugin' 'proc_net_snmp'\n"
)
for d in dims:
    out.write(f"DIMENSION {d} '' incremental 1 1\n")

first = True
taken = 0
while True:
    with open(snmp) as f:
        rows = [line.split() for line in f if line.startswith("Tcp:")]
    values = dict(zip(rows[0][1:], rows[1][1:])) if len(rows) >= 2 else {}
    out.write("BEGIN tcp_resets.resets\n" if first else f"BEGIN tcp_resets.resets {update_every * 1000000}\n")
    first = False
    for d in dims:
        out.write(f"SET {d} = {values.get(d, '')}\n")
    out.write("END\n")
    out.flush()
    taken += 1
    if samples and taken >= samples:
        break
    time.sleep(update_every - time.time() % update_every)
