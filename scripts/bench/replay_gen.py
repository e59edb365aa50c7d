#!/usr/bin/env python3
"""Generate an HTTP capture for scripts/bench/replay (deterministic, Ethernet/IPv4 pcap).

usage: replay_gen.py OUT.pcap [CONNS (1000)] [REQS_PER_CONN (20)] [SPAN_S (120)]

CONNS keep-alive connections start uniformly over SPAN_S seconds; each carries
REQS_PER_CONN GET / requests separated by exponential pauses (mean 200 ms), each answered
200 after 100 us. Handshakes and FINs are included; checksums are left 0 (as a capture
taken with offload). Client 10.1.x.y, server 10.0.0.1:80 (only addresses inside the file:
the replay goes to the target URL).
"""
import random
import struct
import sys

out = sys.argv[1]
conns = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
per = int(sys.argv[3]) if len(sys.argv) > 3 else 20
span = float(sys.argv[4]) if len(sys.argv) > 4 else 120.0
rnd = random.Random(42)
SMAC, CMAC = b"\x02\x00\x00\x00\x00\x01", b"\x02\x00\x00\x00\x00\x02"
SIP = bytes([10, 0, 0, 1])
pkts = []  # (t, frame)


def frame(t, src, dst, sport, dport, seq, ack, flags, payload=b""):
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + 20 + len(payload), 0, 0x4000, 64, 6, 0, src, dst)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xffffffff, ack & 0xffffffff, 5 << 4, flags, 65535, 0, 0)
    eth = (SMAC if src == SIP else CMAC) + (CMAC if src == SIP else SMAC) + b"\x08\x00"
    pkts.append((t, eth + ip + tcp + payload))


REQ = b"GET / HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n"
RSP = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 17\r\n\r\nhello from nginx\n"
SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01
for c in range(conns):
    t = rnd.uniform(0, span)
    cip = bytes([10, 1, (c >> 8) & 255, c & 255])
    cport = 10000 + c
    cs, ss = rnd.getrandbits(32), rnd.getrandbits(32)
    frame(t, cip, SIP, cport, 80, cs, 0, SYN)
    frame(t + 50e-6, SIP, cip, 80, cport, ss, cs + 1, SYN | ACK)
    frame(t + 100e-6, cip, SIP, cport, 80, cs + 1, ss + 1, ACK)
    cs += 1
    ss += 1
    t += 200e-6
    for r in range(per):
        frame(t, cip, SIP, cport, 80, cs, ss, PSH | ACK, REQ)
        cs += len(REQ)
        frame(t + 100e-6, SIP, cip, 80, cport, ss, cs, PSH | ACK, RSP)
        ss += len(RSP)
        t += 100e-6 + rnd.expovariate(1 / 0.2)
    frame(t, cip, SIP, cport, 80, cs, ss, FIN | ACK)
    frame(t + 50e-6, SIP, cip, 80, cport, ss, cs + 1, FIN | ACK)
    frame(t + 100e-6, cip, SIP, cport, 80, cs + 1, ss + 1, ACK)
pkts.sort(key=lambda p: p[0])
with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    base = 1700000000
    for t, fr in pkts:
        us = int(round(t * 1e6))
        f.write(struct.pack("<IIII", base + us // 1000000, us % 1000000, len(fr), len(fr)) + fr)
print("connections %d requests %d packets %d" % (conns, conns * per, len(pkts)))
