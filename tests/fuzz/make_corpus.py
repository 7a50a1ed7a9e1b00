#!/usr/bin/python3
"""Turn capture files into seeds for fuzz_packet.c.

Seed format (see fuzz_packet.c): one byte link type, then per packet
[time step (10 ms units, 0xff = past every timeout)][length, 2 bytes BE][bytes].
Long captures are cut into seeds of at most MAX_PKTS packets and MAX_BYTES
bytes, so the fuzzer mutates small inputs. Classic pcap only (pcapng files
are converted with editcap first by whoever regenerates the corpus).

usage: make_corpus.py OUT_DIR PCAP...
"""
import hashlib
import os
import struct
import sys

LINKS = {1: 0, 113: 1, 276: 2, 101: 3, 12: 3, 14: 3, 228: 4, 229: 5, 0: 6, 108: 7}
MAX_PKTS = 48
MAX_BYTES = 24 * 1024


def packets(path):
    with open(path, "rb") as f:
        hdr = f.read(24)
        if len(hdr) < 24:
            return None, []
        magic = hdr[:4]
        if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
            end = "<"
        elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
            end = ">"
        else:
            return None, []
        nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
        link = struct.unpack(end + "I", hdr[20:24])[0] & 0x0FFFFFFF
        out = []
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                break
            sec, frac, incl, _orig = struct.unpack(end + "IIII", rec)
            data = f.read(incl)
            if len(data) < incl:
                break
            us = sec * 1_000_000 + (frac // 1000 if nano else frac)
            out.append((us, data))
        return link, out


def main():
    out_dir, files = sys.argv[1], sys.argv[2:]
    os.makedirs(out_dir, exist_ok=True)
    n = 0
    for path in files:
        link, pkts = packets(path)
        if link not in LINKS:
            continue
        seed, count, last = bytearray([LINKS[link]]), 0, None
        for us, data in pkts:
            data = data[:65535]
            step = 0 if last is None else min(254, max(0, us - last) // 10_000)
            if us is not None and last is not None and us - last > 600_000_000:
                step = 0xFF
            last = us
            rec = bytes([step]) + struct.pack(">H", len(data)) + data
            if count and (count >= MAX_PKTS or len(seed) + len(rec) > MAX_BYTES):
                name = hashlib.sha1(seed).hexdigest()
                with open(os.path.join(out_dir, name), "wb") as f:
                    f.write(seed)
                n += 1
                seed, count = bytearray([LINKS[link]]), 0
            seed += rec
            count += 1
        if count:
            name = hashlib.sha1(seed).hexdigest()
            with open(os.path.join(out_dir, name), "wb") as f:
                f.write(seed)
            n += 1
    print(f"{n} seeds written to {out_dir}")


if __name__ == "__main__":
    main()
