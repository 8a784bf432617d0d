#!/usr/bin/python3
"""The traffic behind docs/dashboard.png: everything the tcp_resets charts
count, on 127.0.0.1, until SIGTERM (or --seconds).

Run only inside a private network namespace (docs/screenshots.sh does): it
expects SYN cookies to be off there and adds a firewall rule there.

  - refused connections: connects to a closed port, 3000 a second
    (AttemptFails on one side, OutRsts on the other);
  - aborted connections: a server that closes with unread data, 100 a
    second (a reset: EstabResets, causes.aborted);
  - a SYN queue that overflows: a listener with backlog 4 that never
    accepts, its SYN-ACKs dropped by a firewall rule so that half-open
    requests stay in its SYN queue, 400 SYNs a second: with SYN cookies off
    they are dropped (TcpExt TCPReqQFullDrop: syncookies.syn_queue_drops,
    causes.queue_full);
  - challenge ACKs: SYNs with random sequence numbers injected on a raw
    socket into an established connection, 20 a second; the kernel answers
    each with an RFC 5961 challenge ACK (spoofing.challenge_acks,
    spoofing.syn_challenges).
"""

import argparse
import collections
import random
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

STOP = threading.Event()
LOOPBACK = "127.0.0.1"


def paced(rate, batch, one):
    """Calls one() `rate` times a second, `batch` at a time, until STOP."""
    period = batch / rate
    due = time.monotonic()
    while not STOP.is_set():
        for _ in range(batch):
            one()
        # Behind (the CPU was busy elsewhere): catch up half a second at
        # most, not with a burst that looks like a second storm.
        due = max(due + period, time.monotonic() - 0.5)
        STOP.wait(max(0.0, due - time.monotonic()))


def closed_port():
    """A port nobody listens on: bound for a moment, never listened on."""
    s = socket.socket()
    s.bind((LOOPBACK, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def refused(port, rate):
    def one():
        s = socket.socket()
        try:
            s.connect((LOOPBACK, port))
            sys.exit(f"storm: {LOOPBACK}:{port} accepted a connection")
        except ConnectionRefusedError:
            pass
        finally:
            s.close()

    paced(rate, 50, one)


def aborted(rate):
    srv = socket.socket()
    srv.bind((LOOPBACK, 0))
    srv.listen(128)
    addr = srv.getsockname()

    def serve():
        while not STOP.is_set():
            try:
                c, _ = srv.accept()
            except OSError:
                return
            time.sleep(0.001)  # let the client's byte arrive
            c.close()  # closed with unread data: the kernel sends a reset

    threading.Thread(target=serve, daemon=True).start()

    def one():
        c = socket.create_connection(addr, timeout=2)
        try:
            c.sendall(b"x")
            c.recv(1)  # the reset
        except OSError:
            pass
        finally:
            c.close()

    paced(rate, 10, one)


def syn_queue_overflow(rate, backlog):
    srv = socket.socket()
    srv.bind((LOOPBACK, 0))
    srv.listen(4)  # and never accepts
    port = srv.getsockname()[1]
    rule = ["INPUT", "-p", "tcp", "--sport", str(port),
            "--tcp-flags", "SYN,ACK", "SYN,ACK", "-j", "DROP"]
    subprocess.run(["iptables", "-A", *rule], check=True)
    socks = collections.deque()

    def one():
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex((LOOPBACK, port))  # its SYN, dropped by the full queue
        socks.append(s)
        if len(socks) > backlog:
            socks.popleft().close()

    try:
        paced(rate, 20, one)
    finally:
        subprocess.run(["iptables", "-D", *rule], check=False)
        for s in socks:
            s.close()
        srv.close()


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s > 0xFFFF:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def challenge_acks(rate):
    srv = socket.socket()
    srv.bind((LOOPBACK, 0))
    srv.listen(1)
    cli = socket.create_connection(srv.getsockname())
    acc, _ = srv.accept()
    sport, dport = cli.getsockname()[1], srv.getsockname()[1]
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    lo = socket.inet_aton(LOOPBACK)

    def one():
        # source port, destination port, sequence, ack, data offset (5
        # words), flags (SYN), window, checksum, urgent pointer
        hdr = struct.pack("!HHIIBBHHH", sport, dport, random.getrandbits(32),
                          0, 5 << 4, 0x02, 65535, 0, 0)
        pseudo = lo + lo + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(hdr))
        csum = checksum(pseudo + hdr)
        raw.sendto(hdr[:16] + struct.pack("!H", csum) + hdr[18:], (LOOPBACK, 0))

    try:
        paced(rate, 5, one)
    finally:
        raw.close()
        cli.close()
        acc.close()
        srv.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=float, default=600,
                   help="stop after this long even without SIGTERM")
    a = p.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: STOP.set())
    signal.signal(signal.SIGINT, lambda *_: STOP.set())
    port = closed_port()
    jobs = [
        (refused, (port, 1500)),
        (refused, (port, 1500)),
        (aborted, (100,)),
        (syn_queue_overflow, (400, 200)),
        (challenge_acks, (20,)),
    ]
    failed = []

    def run(fn, args):
        try:
            fn(*args)
        except BaseException as e:  # noqa: BLE001 - reported, then stop all
            failed.append(f"{fn.__name__}: {e!r}")
            STOP.set()

    threads = [threading.Thread(target=run, args=j, daemon=True) for j in jobs]
    for t in threads:
        t.start()
    print(f"storm: refused connections to {LOOPBACK}:{port}, aborted "
          "connections, a SYN queue overflowing, injected SYNs", flush=True)
    STOP.wait(a.seconds)
    STOP.set()
    for t in threads:
        t.join(5)
    if failed:
        sys.exit("storm: " + "; ".join(failed))


if __name__ == "__main__":
    main()
