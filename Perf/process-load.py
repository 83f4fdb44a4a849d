#!/usr/bin/env python3
"""Sends N `POST /process` requests one after another on one keep-alive connection (user ids
from START), and stops at the first answer that is not a 200.

    Perf/process-load.py PORT N START
"""
import json, socket, sys
port, n, start = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port))
for i in range(n):
    body = json.dumps({"user_id": 1 + (start + i) % 1000, "action": "cg"}).encode()
    s.sendall(b"POST /process HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
    buf = b""
    while True:
        buf += s.recv(65536)
        he = buf.find(b"\r\n\r\n")
        if he < 0: continue
        head = buf[:he].decode()
        cl = int([l.split(":")[1] for l in head.split("\r\n") if l.lower().startswith("content-length")][0])
        if len(buf) >= he + 4 + cl: break
    if not head.startswith("HTTP/1.1 200"): sys.exit("bad: " + head.splitlines()[0] + buf[he:].decode())
