#!/usr/bin/env python3
"""Sends exactly N `GET /health` requests over C keep-alive connections (one in flight per
connection) and checks every answer is a 200, so an instruction count can be divided by N.

    Perf/health-load.py PORT [N=20000] [C=4]
"""
import selectors, socket, sys

port = int(sys.argv[1])
total = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
conns = int(sys.argv[3]) if len(sys.argv) > 3 else 4
request = b"GET /health HTTP/1.1\r\nHost: bench\r\n\r\n"

sel = selectors.DefaultSelector()
state = {}
sent = 0
for _ in range(conns):
    s = socket.create_connection(("127.0.0.1", port))
    s.setblocking(False)
    state[s] = b""
    sel.register(s, selectors.EVENT_READ)
    if sent < total:
        s.sendall(request)
        sent += 1

done = 0
while done < total:
    for key, _ in sel.select():
        s = key.fileobj
        data = s.recv(65536)
        if not data:
            sys.exit("server closed a connection")
        buf = state[s] + data
        while True:
            head_end = buf.find(b"\r\n\r\n")
            if head_end < 0:
                break
            head = buf[:head_end].decode()
            if not head.startswith("HTTP/1.1 200"):
                sys.exit("unexpected answer: " + head.splitlines()[0])
            length = int([l.split(":", 1)[1] for l in head.split("\r\n") if l.lower().startswith("content-length:")][0])
            if len(buf) < head_end + 4 + length:
                break
            buf = buf[head_end + 4 + length:]
            done += 1
            if sent < total:
                s.sendall(request)
                sent += 1
        state[s] = buf
print(done)
