#!/usr/bin/env python3
"""A scriptable OTLP/HTTP trace receiver for the span exporter tests (Tests/OTLPExportTests/Exporter*).

Usage:
  receiver.py serve --out FILE [--port 0] [--script JSON] [--default JSON]
      Listens on 127.0.0.1:PORT (0: any free port) and prints the port as its first stdout line.
      Every POST is decoded (gunzipped when Content-Encoding: gzip) as an ExportTraceServiceRequest
      and one JSON line is appended to FILE (see record()), as soon as the request has arrived.
      Then the next entry of the script (a JSON list) decides the answer; when the script is used
      up, --default does (default {"status": 200}). An entry:
        {"status": 200,            HTTP status
         "delay_ms": 0,            wait before answering (the record is already written)
         "retry_after": "1",       a Retry-After header (string or number)
         "partial_rejected": 0,    partial_success.rejected_spans in a 2xx answer
         "partial_message": "",    partial_success.error_message
         "json": false,            answer application/json (OTLP/JSON) instead of protobuf
         "chunked": false,         send the body with Transfer-Encoding: chunked
         "close": false,           close the connection after answering (with Connection: close)
         "silent_close": false,    close it without saying so (a keep-alive connection the client
                                   believes open)
         "no_length": false}       no Content-Length: the body runs until the connection closes
  receiver.py parse-jsonl FILE
      Reads an OTLP/JSON lines file (the span file sink's output: one ExportTraceServiceRequest per
      line), parses every line with google.protobuf.json_format.Parse (after turning the hex ids
      into the base64 that the proto3 JSON mapping expects) and prints one record per line.
      Exit 1 on the first line that does not parse.

A record: {"seq", "t" (unix seconds, float), "method", "path", "client_port", "content_type",
"content_encoding", "headers" (lowercase names), "header_names" (in order, repeats kept), "body_bytes", "service_name", "resource" (key ->
value), "scope" {"name", "version"}, "span_count", "spans": [{"name", "trace_id", "span_id",
"parent_span_id", "trace_state", "kind", "start", "end", "flags", "attributes", "events": [{"name", "time",
"attributes"}], "status": {"code", "message"}}], "error" (decoding error text, or null), "answer"
(the script entry used)}.
"""

import argparse
import base64
import gzip
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2


def anyvalue(v):
    which = v.WhichOneof("value")
    if which is None:
        return None
    if which in ("string_value", "bool_value", "int_value", "double_value"):
        return getattr(v, which)
    if which == "bytes_value":
        return v.bytes_value.hex()
    if which == "array_value":
        return [anyvalue(x) for x in v.array_value.values]
    if which == "kvlist_value":
        return {kv.key: anyvalue(kv.value) for kv in v.kvlist_value.values}
    return str(which)


def attrs(kvs):
    return {kv.key: anyvalue(kv.value) for kv in kvs}


def describe(req):
    """The parts of an ExportTraceServiceRequest the tests look at."""
    out = {"resource": {}, "service_name": None, "scope": None, "spans": []}
    for rs in req.resource_spans:
        out["resource"] = attrs(rs.resource.attributes)
        out["service_name"] = out["resource"].get("service.name")
        for ss in rs.scope_spans:
            out["scope"] = {"name": ss.scope.name, "version": ss.scope.version}
            for s in ss.spans:
                out["spans"].append({
                    "name": s.name,
                    "trace_id": s.trace_id.hex(),
                    "span_id": s.span_id.hex(),
                    "parent_span_id": s.parent_span_id.hex(),
                    "trace_state": s.trace_state,
                    "kind": s.kind,
                    "start": s.start_time_unix_nano,
                    "end": s.end_time_unix_nano,
                    "flags": s.flags,
                    "attributes": attrs(s.attributes),
                    "events": [{"name": e.name, "time": e.time_unix_nano, "attributes": attrs(e.attributes)}
                               for e in s.events],
                    "status": {"code": s.status.code, "message": s.status.message},
                })
    out["span_count"] = len(out["spans"])
    return out


class Script:
    def __init__(self, entries, default):
        self.entries = list(entries)
        self.default = default
        self.lock = threading.Lock()
        self.seq = 0

    def next(self):
        with self.lock:
            self.seq += 1
            entry = self.entries.pop(0) if self.entries else self.default
            return self.seq, dict(entry)


class Output:
    def __init__(self, path):
        self.f = open(path, "a", encoding="utf-8")
        self.lock = threading.Lock()

    def write(self, obj):
        line = json.dumps(obj, sort_keys=True)
        with self.lock:
            self.f.write(line + "\n")
            self.f.flush()


def make_handler(script, output):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # quiet
            pass

        def do_POST(self):
            arrived = time.time()
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            seq, answer = script.next()
            rec = {
                "seq": seq, "t": arrived, "method": "POST", "path": self.path,
                "client_port": self.client_address[1],
                "content_type": self.headers.get("Content-Type"),
                "content_encoding": self.headers.get("Content-Encoding"),
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "header_names": [k.lower() for k in self.headers.keys()],
                "body_bytes": len(body), "error": None, "answer": answer,
            }
            try:
                data = gzip.decompress(body) if (self.headers.get("Content-Encoding") or "").lower() == "gzip" else body
                req = trace_service_pb2.ExportTraceServiceRequest()
                req.ParseFromString(data)
                rec.update(describe(req))
            except Exception as e:  # recorded for the test to see
                rec["error"] = f"{type(e).__name__}: {e}"
                rec["span_count"] = 0
                rec["spans"] = []
            output.write(rec)
            self.answer(answer)

        def do_GET(self):
            self.answer({"status": 404})

        def answer(self, a):
            if a.get("delay_ms"):
                time.sleep(a["delay_ms"] / 1000.0)
            status = int(a.get("status", 200))
            if 200 <= status < 300:
                resp = trace_service_pb2.ExportTraceServiceResponse()
                if a.get("partial_rejected") or a.get("partial_message"):
                    resp.partial_success.rejected_spans = int(a.get("partial_rejected", 0))
                    resp.partial_success.error_message = a.get("partial_message", "")
                if a.get("json"):
                    body = json_format.MessageToJson(resp).encode()
                    ctype = "application/json"
                else:
                    body = resp.SerializeToString()
                    ctype = "application/x-protobuf"
            else:
                body = json.dumps({"code": status, "message": "scripted failure"}).encode()
                ctype = "application/json"
            try:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                if a.get("retry_after") is not None:
                    self.send_header("Retry-After", str(a["retry_after"]))
                if a.get("close"):
                    self.send_header("Connection", "close")
                    self.close_connection = True
                if a.get("silent_close") or a.get("no_length"):
                    self.close_connection = True
                if a.get("no_length"):
                    self.end_headers()
                    self.wfile.write(body)
                elif a.get("chunked"):
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    half = len(body) // 2
                    for part in (body[:half], body[half:]):
                        if part:
                            self.wfile.write(b"%x;ext=1\r\n%s\r\n" % (len(part), part))
                    self.wfile.write(b"0\r\nx-trailer: yes\r\n\r\n")
                else:
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

    return Handler


def hex_to_base64(obj):
    if isinstance(obj, dict):
        return {k: (base64.b64encode(bytes.fromhex(v)).decode() if k in ("traceId", "spanId", "parentSpanId")
                    and isinstance(v, str) else hex_to_base64(v)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [hex_to_base64(x) for x in obj]
    return obj


def parse_jsonl(path):
    with open(path, "rb") as f:
        data = f.read()
    if data and not data.endswith(b"\n"):
        print("file does not end with a newline", file=sys.stderr)
        return 1
    for n, line in enumerate(data.split(b"\n")[:-1], 1):
        try:
            doc = json.loads(line)
            req = trace_service_pb2.ExportTraceServiceRequest()
            json_format.Parse(json.dumps(hex_to_base64(doc)), req)
        except Exception as e:
            print(f"line {n}: {type(e).__name__}: {e}", file=sys.stderr)
            return 1
        rec = describe(req)
        rec["line"] = n
        print(json.dumps(rec, sort_keys=True))
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, default=0)
    s.add_argument("--out", required=True)
    s.add_argument("--script", default="[]")
    s.add_argument("--default", default='{"status": 200}')
    p = sub.add_parser("parse-jsonl")
    p.add_argument("file")
    args = ap.parse_args()
    if args.cmd == "parse-jsonl":
        return parse_jsonl(args.file)

    script = Script(json.loads(args.script), json.loads(args.default))
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(script, Output(args.out)))
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
