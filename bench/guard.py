#!/usr/bin/env python3
"""Load of the connection guard against a running `--serve` (bench/guard.sh starts it): what an attacker without a
token costs the server, and whether a normal client still gets fast answers meanwhile.

  guard.py PORT PID
Prints one Markdown table row per measurement."""
import socket
import sys
import threading
import time

port, pid = int(sys.argv[1]), int(sys.argv[2])


def rss_mib():
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return -1.0


class PeakRss(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.peak, self.running = rss_mib(), True

    def run(self):
        while self.running:
            self.peak = max(self.peak, rss_mib())
            time.sleep(0.02)


def healthz_latencies(count, source="127.0.0.1"):
    """Sequential GET /healthz on one kept-alive connection; latencies in ms."""
    s = socket.create_connection(("127.0.0.1", port), source_address=(source, 0))
    out = []
    for _ in range(count):
        t = time.perf_counter()
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: b\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data or not data.endswith(b"}"):
            data += s.recv(4096)
        out.append((time.perf_counter() - t) * 1000)
    s.close()
    out.sort()
    return out


def pct(values, p):
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def row(what, value, target):
    print(f"| {what} | {value} | {target} |", flush=True)


# 1. Bodies of 1 GiB announced without a token, four at once, sent as fast as the server takes them.
base = rss_mib()
peak = PeakRss()
peak.start()
sent_total = [0]


def flood():
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"POST /api/admin/adaptive/events HTTP/1.1\r\nHost: b\r\nContent-Length: 1073741824\r\n\r\n")
    chunk = b"x" * 65536
    deadline = time.time() + 5
    try:
        while time.time() < deadline:
            sent_total[0] += s.send(chunk)
    except OSError:
        pass
    s.close()


threads = [threading.Thread(target=flood) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
peak.running = False
peak.join()
row("4 × 1 GiB body without a token: RSS growth (peak − before)", f"{peak.peak - base:.1f} MiB "
    f"({sent_total[0] / 1048576:.1f} MiB accepted by the kernel before the close)", "< 10 MiB")

# 2. 3,000 idle kept-alive connections from six client addresses, each after one request.
before = rss_mib()
idle = []
for i in range(3000):
    s = socket.create_connection(("127.0.0.1", port), source_address=(f"127.0.0.{2 + i % 6}", 0))
    s.sendall(b"GET /version HTTP/1.1\r\nHost: b\r\n\r\n")
    idle.append(s)
for s in idle:
    data = b""
    while not data.endswith(b"}"):
        data += s.recv(4096)
held = rss_mib()
row("3,000 idle kept-alive connections: RSS growth", f"{held - before:.1f} MiB (total {held:.0f} MiB)", "< 100 MiB")
lat = healthz_latencies(2000)
row("/healthz meanwhile, 2,000 sequential requests: p50 / p99 / max",
    f"{pct(lat, 50):.2f} / {pct(lat, 99):.2f} / {lat[-1]:.2f} ms", "p99 < 50 ms")
for s in idle:
    s.close()
lat = healthz_latencies(2000)
row("/healthz without them: p50 / p99", f"{pct(lat, 50):.2f} / {pct(lat, 99):.2f} ms", "—")
