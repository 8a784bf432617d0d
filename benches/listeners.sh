#!/usr/bin/env bash
# Measures tcp-listeners with N listening sockets (default 10,000) in a
# private network namespace, so that nothing on the host is counted or
# touched. Needs root (unshare -n) and python3.
#
#   benches/listeners.sh [N] [RUNS]
#
# Two ways, RUNS calls each (default 15):
#   1. `tcp_resets --listeners --json`, a whole process each time (start,
#      sock_diag dump, the /proc/*/fd scan for owners, JSON);
#   2. the Function as netdata calls it, on the stdin of one running plugin
#      (`tcp_resets 1`): `FUNCTION <tx> 10 "tcp-listeners" "<access>" "x"`,
#      timed from the write of the line to the read of FUNCTION_RESULT_END;
#      access 0x8 (anonymous data only: no owners, so no /proc scan) and
#      0x1b (signed in, same space, sensitive data: with owners).
# Prints, for each, the median and the slowest call, the rows answered and
# the size of the JSON.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
runs=${2:-15}
bin=$PWD/target/release/tcp_resets
[ -x "$bin" ] || cargo build --release --quiet
if [ "${TCP_RESETS_IN_NETNS:-}" != 1 ]; then
    exec unshare -n env TCP_RESETS_IN_NETNS=1 "$0" "$@"
fi
ip link set lo up
python3 - "$bin" "$n" "$runs" <<'PY'
import json, os, resource, select, socket, statistics, subprocess, sys, time
binary, n, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, n + 1000)), hard))
socks = []
for i in range(n):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    socks.append(s)


def report(what, times, rows, size):
    print(f"{what}: median {statistics.median(times):.1f} ms, slowest {max(times):.1f} ms "
          f"of {len(times)} calls; {rows} rows answered, {size / 1024:.0f} KiB of JSON")


# 1. the command line, a whole process per call
times, size, rows = [], 0, 0
for _ in range(runs):
    t = time.perf_counter()
    out = subprocess.run([binary, "--listeners", "--json"], check=True, capture_output=True, timeout=60).stdout
    times.append((time.perf_counter() - t) * 1000)
    size = len(out)
    table = json.loads(out)
    rows = len(table["data"])
report(f"{n} listeners, `tcp_resets --listeners --json` (whole process: start, sock_diag, /proc/*/fd, JSON)",
       times, rows, size)

# 2. the Function on the stdin of a running plugin
plugin = subprocess.Popen([binary, "1"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
try:
    fd = plugin.stdout.fileno()
    pending = b""
    poller = select.poll()  # select() takes no descriptor above 1023
    poller.register(fd, select.POLLIN)

    def answer(tx, deadline):
        """The body of the answer to tx; other lines (samples) are skipped."""
        global pending
        begin, body = None, []
        while True:
            while b"\n" not in pending:
                left = deadline - time.monotonic()
                if left <= 0 or not poller.poll(left * 1000):
                    raise SystemExit(f"listeners: no answer to {tx} in time")
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    raise SystemExit(f"listeners: the plugin exited: {plugin.stderr.read().decode()[:300]}")
                pending += chunk
            line, _, pending = pending.partition(b"\n")
            words = line.split()
            if begin is None:
                if words[:2] == [b"FUNCTION_RESULT_BEGIN", tx.encode()]:
                    begin = words
            elif line == b"FUNCTION_RESULT_END":
                return begin, b"\n".join(body)
            else:
                body.append(line)

    for access, what in (("0x8", "anonymous caller, no owners"), ("0x1b", "sensitive access, with owners")):
        times = []
        for i in range(runs):
            tx = f"t{access[2:]}x{i}"
            t = time.perf_counter()
            plugin.stdin.write(f'FUNCTION {tx} 10 "tcp-listeners" "{access}" "x"\n'.encode())
            plugin.stdin.flush()
            begin, body = answer(tx, time.monotonic() + 30)
            times.append((time.perf_counter() - t) * 1000)
            if begin[2] != b"200":
                raise SystemExit(f"listeners: status {begin[2].decode()}: {body[:300]!r}")
            table = json.loads(body)
        report(f"{n} listeners, the Function in a running plugin, access {access} ({what})",
               times, len(table["data"]), len(body))
finally:
    plugin.stdin.close()
    plugin.terminate()
    try:
        plugin.wait(timeout=10)
    except subprocess.TimeoutExpired:
        plugin.kill()
        plugin.wait()
for s in socks:
    s.close()
PY
