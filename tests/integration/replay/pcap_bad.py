#!/usr/bin/env python3
"""Bad capture files for tests/integration/test_replay.sh, made from a good one.

usage: pcap_bad.py GOOD.pcap OUTDIR
Writes: zero.pcap (0 bytes), garbage.pcap (random bytes), header.pcap (a valid header and
no packet), linktype.pcap (link type 147, USER0, with the good packets), cut.pcap (the good
file cut in the middle of a record, after about 60% of it), snap.pcap (every packet longer
than 200 bytes cut to 200 bytes, as with tcpdump -s 200, caplen < len).
Only the classic pcap format (what tcpdump -w writes) is read.
"""
import os
import random
import struct
import sys

good, out = sys.argv[1], sys.argv[2]
data = open(good, "rb").read()
magic = data[:4]
e = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
hdr = data[:24]


def records():
    off = 24
    while off + 16 <= len(data):
        ts_s, ts_u, caplen, wirelen = struct.unpack(e + "IIII", data[off:off + 16])
        yield ts_s, ts_u, caplen, wirelen, data[off + 16:off + 16 + caplen]
        off += 16 + caplen


def write(name, blob):
    with open(os.path.join(out, name), "wb") as f:
        f.write(blob)


write("zero.pcap", b"")
rnd = random.Random(7)
write("garbage.pcap", bytes(rnd.randrange(256) for _ in range(4096)))
write("header.pcap", hdr)
# Link type is the last 32-bit field of the file header.
write("linktype.pcap", hdr[:20] + struct.pack(e + "I", 147) + data[24:])
# Cut inside a record (header kept, packet body cut).
recs = list(records())
off, k = 24, 0
while off < len(data) * 0.6:
    off += 16 + recs[k][2]
    k += 1
write("cut.pcap", data[:off + 16 + recs[k][2] // 2])
snap = bytearray(hdr[:16] + struct.pack(e + "I", 200) + hdr[20:])
cut = 0
for ts_s, ts_u, caplen, wirelen, pkt in recs:
    if caplen > 200:
        pkt, caplen = pkt[:200], 200
        cut += 1
    snap += struct.pack(e + "IIII", ts_s, ts_u, caplen, wirelen) + pkt
write("snap.pcap", bytes(snap))
print("records", len(recs), "cut_at_record", k, "snaplen_cut", cut)
