#!/usr/bin/env python3
"""Scripted HTTP client for tests/integration/test_replay.sh: a known, varied request set.

Runs inside the fc-srv namespace against nginx on HOST:80 over lo (while tcpdump -i lo
records it). Writes the ground truth as JSON: one entry per connection, in the order the
connections were opened, each with its requests (method, target, status, pipelined).
Every read and connect is bounded by a timeout; the whole run takes about 2 s.
"""
import json
import socket
import sys
import time

HOST = sys.argv[1]
OUT = sys.argv[2]
PORT = 80
truth = []


def read_responses(s, n, head_only=()):
    """Read n responses (Content-Length or chunked framing); return their statuses."""
    buf = b""
    statuses = []
    s.settimeout(3)
    for i in range(n):
        while b"\r\n\r\n" not in buf:
            d = s.recv(65536)
            if not d:
                raise RuntimeError("connection closed early")
            buf += d
        head, buf = buf.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        hdrs = {}
        for line in lines[1:]:
            k, v = line.split(b":", 1)
            hdrs[k.strip().lower()] = v.strip()
        if i in head_only:
            length = 0
        elif hdrs.get(b"transfer-encoding", b"").lower() == b"chunked":
            body = b""
            while True:
                while b"\r\n" not in buf:
                    buf += s.recv(65536)
                size_line, buf = buf.split(b"\r\n", 1)
                size = int(size_line.split(b";")[0], 16)
                while len(buf) < size + 2:
                    buf += s.recv(65536)
                buf = buf[size + 2:]
                if size == 0:
                    break
            length = 0
        else:
            length = int(hdrs.get(b"content-length", b"0"))
        while len(buf) < length:
            d = s.recv(65536)
            if not d:
                raise RuntimeError("connection closed in a body")
            buf += d
        buf = buf[length:]
        statuses.append(status)
    return statuses


def conn():
    s = socket.create_connection((HOST, PORT), timeout=3)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    entry = {"requests": []}
    truth.append(entry)
    return s, entry


def req(method, target, body=b"", extra=""):
    h = f"{method} {target} HTTP/1.1\r\nHost: {HOST}\r\nUser-Agent: fc-capture\r\n{extra}"
    if body and "chunked" not in extra:
        h += f"Content-Length: {len(body)}\r\n"
    return h.encode() + b"\r\n" + body


def one(s, entry, method, target, body=b"", extra="", pause=0.0):
    s.sendall(req(method, target, body, extra))
    st = read_responses(s, 1, head_only=(0,) if method == "HEAD" else ())[0]
    entry["requests"].append({"method": method, "target": target, "status": st, "pipelined": False})
    if pause:
        time.sleep(pause)


# 1. keep-alive session with pauses, several methods and statuses
s, e = conn()
one(s, e, "GET", "/?c=1&r=0", pause=0.2)
one(s, e, "GET", "/echo?c=1&r=1", pause=0.1)
one(s, e, "GET", "/nope?c=1&r=2", pause=0.05)
one(s, e, "HEAD", "/?c=1&r=3")
one(s, e, "PUT", "/echo?c=1&r=4", body=b"x" * 300)
one(s, e, "DELETE", "/echo?c=1&r=5")
one(s, e, "OPTIONS", "/?c=1&r=6")
s.close()

# 2. pipelining: three requests in one write, then a fourth after the answers
s, e = conn()
s.sendall(req("GET", "/?c=2&r=0") + req("GET", "/echo?c=2&r=1") +
          req("POST", "/echo?c=2&r=2", body=b"a=1&b=2"))
for i, (m, t) in enumerate([("GET", "/?c=2&r=0"), ("GET", "/echo?c=2&r=1"), ("POST", "/echo?c=2&r=2")]):
    pass
sts = read_responses(s, 3)
e["requests"] += [
    {"method": "GET", "target": "/?c=2&r=0", "status": sts[0], "pipelined": False},
    {"method": "GET", "target": "/echo?c=2&r=1", "status": sts[1], "pipelined": True},
    {"method": "POST", "target": "/echo?c=2&r=2", "status": sts[2], "pipelined": True},
]
time.sleep(0.1)
one(s, e, "GET", "/status/500?c=2&r=3")
s.close()

# 3. chunked request body sent in pieces with pauses
s, e = conn()
s.sendall(b"POST /echo?c=3&r=0 HTTP/1.1\r\nHost: " + HOST.encode() +
          b"\r\nTransfer-Encoding: chunked\r\n\r\n")
time.sleep(0.05)
s.sendall(b"5\r\nhello\r\n")
time.sleep(0.05)
s.sendall(b"6;ext=1\r\n world\r\n")
time.sleep(0.05)
s.sendall(b"0\r\n\r\n")
e["requests"].append({"method": "POST", "target": "/echo?c=3&r=0",
                      "status": read_responses(s, 1)[0], "pipelined": False})
one(s, e, "GET", "/echo?c=3&r=1")
s.close()

# 4. Connection: close (the server closes)
s, e = conn()
one(s, e, "GET", "/?c=4&r=0", extra="Connection: close\r\n")
s.close()

# 5. a burst of short keep-alive connections, two requests each
for c in range(5, 15):
    s, e = conn()
    one(s, e, "GET", f"/echo?c={c}&r=0", pause=0.01)
    one(s, e, "GET", f"/?c={c}&r=1")
    s.close()
    time.sleep(0.02)

json.dump(truth, open(OUT, "w"), indent=1)
print("requests", sum(len(c["requests"]) for c in truth), "connections", len(truth))
