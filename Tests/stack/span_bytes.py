"""Bytes per span on the wire: the OTLP protobuf of one chain request's trace, as API.md and the
gateway's module (nginx-otel 0.1.0, src/http_module.cpp) describe it, encoded with
opentelemetry-proto.

infra/tempo/CAPACITY.md uses this figure; Tests/stack/check_stack.py recomputes it, so a change
to the span model (more attributes, longer query texts) moves the capacity check with it.

Usage: python span_bytes.py      prints spans per request and bytes per span
"""
import os

from opentelemetry.proto.collector.trace.v1 import trace_service_pb2 as ts
from opentelemetry.proto.common.v1 import common_pb2 as c
from opentelemetry.proto.trace.v1 import trace_pb2 as t

SERVER, CLIENT, INTERNAL = t.Span.SPAN_KIND_SERVER, t.Span.SPAN_KIND_CLIENT, t.Span.SPAN_KIND_INTERNAL

# The worst case of API.md's pricing: three items (user_id % 3 == 2), the longest user ids.
USER_ID = 9_999


def kv(key, value):
    v = c.AnyValue(int_value=value) if isinstance(value, int) else c.AnyValue(string_value=value)
    return c.KeyValue(key=key, value=v)


def http_server(route, status=200, port=5001):
    return {"http.request.method": "POST", "http.route": route, "url.path": route, "url.scheme": "http",
            "http.response.status_code": status, "server.address": "user-service", "server.port": port,
            "network.protocol.version": "1.1", "client.address": "172.18.0.12"}


def http_client(host, port, status=200):
    return {"http.request.method": "POST", "url.full": f"http://{host}:{port}/process", "server.address": host,
            "server.port": port, "http.response.status_code": status}


def db(op, table, query):
    return {"db.system.name": "postgresql", "db.operation.name": op, "db.collection.name": table,
            "db.query.text": query, "db.namespace": "chain", "server.address": "postgres", "server.port": 5432}


ITEMS = 3
# (service, span name, kind, attributes, events)
TRACE = [
    # nginx-otel 0.1.0 (src/http_module.cpp): SERVER span named after the location, old names.
    ("gateway", "/api/v1/process", SERVER,
     {"http.method": "POST", "http.target": "/api/v1/process", "http.route": "/api/v1/process", "http.scheme": "http",
      "http.flavor": "1.1", "http.user_agent": "k6/0.55.0 (https://k6.io/)", "http.request_content_length": 48,
      "http.response_content_length": 420, "http.status_code": 200, "net.host.name": "gateway", "net.host.port": 8080,
      "net.sock.peer.addr": "172.18.0.20", "net.sock.peer.port": 51234}, 0),
    ("user-service", "POST /process", SERVER, dict(http_server("/process"), **{"user.id": USER_ID, "user.tier": "standard"}), 0),
    ("user-service", "validate_user", INTERNAL, {"user.id": USER_ID}, 0),
    ("user-service", "SELECT users", CLIENT, db("SELECT", "users", "SELECT id, name, email, tier FROM users WHERE id = $1"), 0),
    ("user-service", "POST", CLIENT, http_client("order-service", 5002), 0),
    ("order-service", "POST /process", SERVER, dict(http_server("/process", port=5002), **{"user.id": USER_ID, "order.id": 123456789}), 0),
    ("order-service", "calculate_pricing", INTERNAL, {"order.item_count": ITEMS, "order.total_cents": 123456}, ITEMS),
    ("order-service", "INSERT orders", CLIENT,
     db("INSERT", "orders", "INSERT INTO orders (user_id, action, items, subtotal_cents, discount_cents, tax_cents, "
        "total_cents, trace_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id, created_at"), 0),
    ("order-service", "POST", CLIENT, http_client("audit-service", 5003), 0),
    ("audit-service", "POST /process", SERVER, dict(http_server("/process", port=5003), **{"audit.id": 123456789}), 0),
    ("audit-service", "INSERT audit_logs", CLIENT,
     db("INSERT", "audit_logs", "INSERT INTO audit_logs (trace_id, user_id, order_id, action, status, details) "
        "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, created_at"), 0),
]
SPANS_PER_REQUEST = len(TRACE)


def resource(service):
    attrs = {"service.name": service, "service.version": "1.0.0", "service.instance.id": "3f2b6c1e-9d4a-4e8b-a1c2-0d9e8f7a6b5c",
             "host.name": "0123456789ab", "process.pid": 1, "telemetry.sdk.name": "chain", "telemetry.sdk.language": "swift",
             "telemetry.sdk.version": "1.0.0", "deployment.environment.name": "compose"}
    return [kv(k, v) for k, v in attrs.items()]


def request_bytes(traces=512):
    """One export request per service holding `traces` requests' spans (the senders batch by 512)."""
    total = 0
    for service in dict.fromkeys(s for s, *_ in TRACE):
        req = ts.ExportTraceServiceRequest()
        rs = req.resource_spans.add()
        rs.resource.attributes.extend(resource(service))
        ss = rs.scope_spans.add()
        ss.scope.name = service
        for n in range(traces):
            tid = os.urandom(16)
            for svc, name, kind, attrs, events in TRACE:
                if svc != service:
                    continue
                sp = ss.spans.add(trace_id=tid, span_id=os.urandom(8), parent_span_id=os.urandom(8), name=name, kind=kind,
                                  start_time_unix_nano=1_764_000_000_000_000_000 + n, end_time_unix_nano=1_764_000_000_012_345_678 + n)
                sp.attributes.extend(kv(k, v) for k, v in attrs.items())
                for i in range(events):
                    sp.events.add(time_unix_nano=1_764_000_000_001_000_000, name="item",
                                  attributes=[kv("sku", f"SKU-{USER_ID}-{i}"), kv("quantity", 1 + i % 2),
                                              kv("unit_price_cents", 4999)])
                sp.status.code = t.Status.STATUS_CODE_UNSET
        total += req.ByteSize()
    return total / (traces * SPANS_PER_REQUEST)


if __name__ == "__main__":
    print(f"spans per request: {SPANS_PER_REQUEST}")
    print(f"bytes per span (OTLP protobuf, 512-request batches): {request_bytes():.0f}")
