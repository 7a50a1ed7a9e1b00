#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""wire.py SOCKET N FILE FILE META - N `policy.apply` requests on one
connection to bulkheadd's control socket (control/PROTOCOL.md: a 4-byte
big-endian length, then one JSON object), FILE and FILE in turn, starting
with the first. Each request is timed from its first byte sent to its reply
read whole (time.perf_counter), so no process start and no file read is in
the figure: only the daemon's side and the socket. Prints one JSON line per
request: META (JSON object members, without braces), "kind": "wire",
"e2e_us", "rc" (0, or 1 when the reply is an error) and "out" (the result,
or the error)."""
import json
import socket
import struct
import sys
import time


def recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("the daemon closed the connection")
        buf += chunk
    return bytes(buf)


def main():
    if len(sys.argv) != 6:
        sys.exit("usage: wire.py SOCKET N FILE FILE META")
    path, n, files, meta = sys.argv[1], int(sys.argv[2]), sys.argv[3:5], sys.argv[5]
    texts = []
    for f in files:
        with open(f, encoding="utf-8") as fh:
            texts.append((f.rsplit("/", 1)[-1], fh.read()))
    frames = []
    for i in range(n):
        name, text = texts[i % 2]
        req = {"v": 1, "id": i + 1, "op": "policy.apply",
               "args": {"files": [{"name": name, "text": text}]}}
        body = json.dumps(req).encode()
        frames.append(struct.pack(">I", len(body)) + body)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    for i in range(n):
        t0 = time.perf_counter()
        s.sendall(frames[i])
        (length,) = struct.unpack(">I", recv_exact(s, 4))
        reply = recv_exact(s, length)
        t1 = time.perf_counter()
        r = json.loads(reply)
        ok = r.get("ok") is True
        out = r.get("result") if ok else r.get("error")
        print(f'{{{meta},"kind":"wire","e2e_us":{int((t1 - t0) * 1e6)},'
              f'"rc":{0 if ok else 1},"out":{json.dumps(out)}}}', flush=True)
    s.close()


if __name__ == "__main__":
    main()
