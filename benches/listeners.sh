#!/usr/bin/env bash
# Measures one tcp-listeners call (`tcp_resets --listeners --json`, the same
# code netdata's Function call runs) with N listening sockets (default
# 10,000) in a private network namespace, so that nothing on the host is
# counted or touched. Needs root (unshare -n) and python3.
#
#   benches/listeners.sh [N] [RUNS]
#
# Prints the median and the slowest of RUNS calls (default 5), the rows
# answered and the size of the JSON.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
runs=${2:-5}
bin=$PWD/target/release/tcp_resets
[ -x "$bin" ] || cargo build --release --quiet
if [ "${TCP_RESETS_IN_NETNS:-}" != 1 ]; then
    exec unshare -n env TCP_RESETS_IN_NETNS=1 "$0" "$@"
fi
ip link set lo up
python3 - "$bin" "$n" "$runs" <<'PY'
import json, resource, socket, statistics, subprocess, sys, time
binary, n, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, n + 1000)), hard))
socks = []
for i in range(n):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    socks.append(s)
times, size, rows = [], 0, 0
for _ in range(runs):
    t = time.perf_counter()
    out = subprocess.run([binary, "--listeners", "--json"], check=True, capture_output=True, timeout=60).stdout
    times.append((time.perf_counter() - t) * 1000)
    size = len(out)
    table = json.loads(out)
    rows = len(table["data"])
print(f"{n} listeners: median {statistics.median(times):.0f} ms, slowest {max(times):.0f} ms per call "
      f"(whole process: start, sock_diag, /proc/*/fd, JSON); {rows} rows answered, {size / 1024:.0f} KiB of JSON")
print("help:", table["help"][-60:])
for s in socks:
    s.close()
PY
