#!/usr/bin/env python3
"""Checks an OTLP trace export written by the Swift encoder against an expected description.

Usage: check_otlp.py proto|json FILE EXPECTED_JSON

proto: FILE is decoded with ExportTraceServiceRequest().ParseFromString (the reference protobuf
       runtime); it must hold no unknown fields and re-serialize to exactly the same bytes
       (canonical field order, minimal varints).
json:  FILE is checked for the OTLP/JSON rules that the proto3 JSON parser does not enforce (one
       line, no trailing newline, lowerCamelCase keys, hex ids, 64-bit integers as strings, enums as
       integers), then the hex ids are turned into base64 (the proto3 JSON mapping of bytes) and the
       document is parsed with google.protobuf.json_format.Parse into the same message.

EXPECTED_JSON:
{
  "resource": {"attributes": [ATTR...]},
  "scope": {"name": str, "version": str},
  "spans": [{
     "traceId": 32 hex, "spanId": 16 hex, "parentSpanId": 16 hex or "", "traceState": str,
     "flags": int (the OTLP Span.flags value), "name": str, "kind": int,
     "startTimeUnixNano": int, "endTimeUnixNano": int,
     "attributes": [ATTR...], "droppedAttributesCount": int,
     "events": [{"name": str, "timeUnixNano": int, "attributes": [ATTR...], "droppedAttributesCount": int}],
     "droppedEventsCount": int, "status": {"code": int, "message": str}}]
}
ATTR: {"key": str, "type": "string"|"int"|"bool", "value": ...}
    | {"key": str, "type": "double", "bits": int (IEEE-754 bit pattern, as unsigned 64-bit)}

Every field of the decoded message is compared, including those that must stay empty (links,
schema URLs, dropped links, extra resource/scope spans). Exit 0 when equal; otherwise the
differences are printed and the exit status is 1 (2 for usage errors).
"""

import base64
import json
import math
import re
import struct
import sys

from google.protobuf import json_format
from google.protobuf.unknown_fields import UnknownFieldSet
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

HEX_KEYS = {"traceId": 16, "spanId": 8, "parentSpanId": 8}
INT64_STRING_KEYS = {"startTimeUnixNano", "endTimeUnixNano", "timeUnixNano", "intValue"}
ENUM_KEYS = {"kind", "code"}
NUMBER_KEYS = {"flags", "droppedAttributesCount", "droppedEventsCount", "droppedLinksCount"}
KEY_RE = re.compile(r"^[a-z][A-Za-z0-9]*$")


# ---------------------------------------------------------------- normalization


def anyvalue(kv):
    which = kv.value.WhichOneof("value")
    a = {"key": kv.key}
    if which == "string_value":
        a.update(type="string", value=kv.value.string_value)
    elif which == "int_value":
        a.update(type="int", value=kv.value.int_value)
    elif which == "bool_value":
        a.update(type="bool", value=kv.value.bool_value)
    elif which == "double_value":
        a.update(type="double", bits=struct.unpack("<Q", struct.pack("<d", kv.value.double_value))[0])
    else:
        a.update(type=str(which), value=None)
    return a


def attrs(kvs):
    return [anyvalue(kv) for kv in kvs]


def normalize(req):
    """The message in EXPECTED_JSON's shape, plus 'extra' for things that must be empty."""
    extra = []
    if len(req.resource_spans) != 1:
        extra.append(f"resource_spans has {len(req.resource_spans)} entries, want 1")
    if not req.resource_spans:
        return {"extra": extra}
    rs = req.resource_spans[0]
    if not rs.HasField("resource"):
        extra.append("ResourceSpans.resource is not set")
    if rs.schema_url:
        extra.append(f"ResourceSpans.schema_url = {rs.schema_url!r}")
    if rs.resource.dropped_attributes_count:
        extra.append("Resource.dropped_attributes_count is set")
    if len(rs.resource.entity_refs):
        extra.append("Resource.entity_refs is set")
    if len(rs.scope_spans) != 1:
        extra.append(f"scope_spans has {len(rs.scope_spans)} entries, want 1")
    out = {"resource": {"attributes": attrs(rs.resource.attributes)}, "extra": extra}
    if not rs.scope_spans:
        return out
    ss = rs.scope_spans[0]
    if not ss.HasField("scope"):
        extra.append("ScopeSpans.scope is not set")
    if ss.schema_url:
        extra.append(f"ScopeSpans.schema_url = {ss.schema_url!r}")
    if len(ss.scope.attributes) or ss.scope.dropped_attributes_count:
        extra.append("InstrumentationScope attributes are set")
    out["scope"] = {"name": ss.scope.name, "version": ss.scope.version}
    spans = []
    for i, s in enumerate(ss.spans):
        if len(s.links) or s.dropped_links_count:
            extra.append(f"span {i}: links are set")
        spans.append({
            "traceId": s.trace_id.hex(),
            "spanId": s.span_id.hex(),
            "parentSpanId": s.parent_span_id.hex(),
            "traceState": s.trace_state,
            "flags": s.flags,
            "name": s.name,
            "kind": int(s.kind),
            "startTimeUnixNano": s.start_time_unix_nano,
            "endTimeUnixNano": s.end_time_unix_nano,
            "attributes": attrs(s.attributes),
            "droppedAttributesCount": s.dropped_attributes_count,
            "events": [{
                "name": e.name,
                "timeUnixNano": e.time_unix_nano,
                "attributes": attrs(e.attributes),
                "droppedAttributesCount": e.dropped_attributes_count,
            } for e in s.events],
            "droppedEventsCount": s.dropped_events_count,
            "status": {"code": int(s.status.code), "message": s.status.message},
        })
    out["spans"] = spans
    return out


# ---------------------------------------------------------------- comparison


def same_scalar(a, b):
    if type(a) is not type(b):
        # bool is an int subclass in Python: keep True != 1.
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    return a == b


def diff(path, want, got, out):
    if isinstance(want, dict) and isinstance(got, dict):
        for k in sorted(set(want) | set(got)):
            if k not in got:
                out.append(f"{path}.{k}: missing in the decoded message (want {want[k]!r})")
            elif k not in want:
                out.append(f"{path}.{k}: unexpected {got[k]!r}")
            elif want.get("type") == "double" and k == "bits" and got.get("type") == "double":
                if not same_double_bits(want[k], got[k]):
                    out.append(f"{path}.bits: want {want[k]:#018x} ({bits_to_double(want[k])!r}), "
                               f"got {got[k]:#018x} ({bits_to_double(got[k])!r})")
            else:
                diff(f"{path}.{k}", want[k], got[k], out)
    elif isinstance(want, list) and isinstance(got, list):
        if len(want) != len(got):
            out.append(f"{path}: {len(got)} entries, want {len(want)}")
        for i, (w, g) in enumerate(zip(want, got)):
            diff(f"{path}[{i}]", w, g, out)
    elif not same_scalar(want, got):
        out.append(f"{path}: want {want!r}, got {got!r}")


def bits_to_double(bits):
    return struct.unpack("<d", struct.pack("<Q", bits))[0]


def same_double_bits(want, got):
    if want == got:
        return True
    # NaN payloads are not kept by every path (JSON has only "NaN"): any NaN matches any NaN.
    return math.isnan(bits_to_double(want)) and math.isnan(bits_to_double(got))


# ---------------------------------------------------------------- OTLP/JSON rules


def check_json_rules(node, path, problems):
    """Rules of OTLP/JSON beyond what json_format.Parse checks; rewrites hex ids to base64."""
    if isinstance(node, list):
        for i, v in enumerate(node):
            check_json_rules(v, f"{path}[{i}]", problems)
        return
    if not isinstance(node, dict):
        return
    for k in list(node):
        v = node[k]
        p = f"{path}.{k}"
        if not KEY_RE.match(k):
            problems.append(f"{p}: key is not lowerCamelCase")
        if k in HEX_KEYS:
            n = HEX_KEYS[k]
            if not isinstance(v, str) or not re.fullmatch(f"[0-9a-f]{{{2 * n}}}", v):
                problems.append(f"{p}: want {2 * n} lowercase hex digits, got {v!r}")
            else:
                node[k] = base64.b64encode(bytes.fromhex(v)).decode()
        elif k in INT64_STRING_KEYS:
            if not isinstance(v, str) or not re.fullmatch(r"-?(0|[1-9][0-9]*)", v):
                problems.append(f"{p}: 64-bit integers must be decimal strings, got {v!r}")
        elif k in ENUM_KEYS or k in NUMBER_KEYS:
            if type(v) is not int:
                problems.append(f"{p}: must be a JSON integer, got {v!r}")
        elif k == "doubleValue":
            if not (type(v) in (int, float) or v in ("NaN", "Infinity", "-Infinity")):
                problems.append(f"{p}: must be a JSON number or NaN/Infinity/-Infinity, got {v!r}")
        check_json_rules(v, p, problems)


def load_json_request(raw):
    problems = []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return None, [f"not UTF-8: {e}"]
    if "\n" in text or "\r" in text:
        problems.append("OTLP/JSON must be a single line without a trailing newline")
    if text != text.strip():
        problems.append("leading or trailing whitespace")

    def no_dupes(pairs):
        keys = [k for k, _ in pairs]
        dup = {k for k in keys if keys.count(k) > 1}
        if dup:
            problems.append(f"duplicate keys {sorted(dup)}")
        return dict(pairs)

    def no_constants(name):  # NaN/Infinity must be strings in proto3 JSON
        problems.append(f"bare {name} is not JSON")
        return float(name.replace("Infinity", "inf"))

    try:
        doc = json.loads(text, object_pairs_hook=no_dupes, parse_constant=no_constants)
    except ValueError as e:
        return None, problems + [f"not JSON: {e}"]
    check_json_rules(doc, "$", problems)
    req = trace_service_pb2.ExportTraceServiceRequest()
    try:
        json_format.Parse(json.dumps(doc), req, ignore_unknown_fields=False)
    except json_format.ParseError as e:
        return None, problems + [f"json_format.Parse: {e}"]
    return req, problems


def unknown_fields(msg, path, out):
    """Fields that the schema does not know, in msg and everything below it."""
    for f in UnknownFieldSet(msg):
        out.append(f"{path}: unknown field {f.field_number} (wire type {f.wire_type})")
    for fd, value in msg.ListFields():
        if fd.message_type is None:
            continue
        if fd.is_repeated:
            for i, m in enumerate(value):
                unknown_fields(m, f"{path}.{fd.name}[{i}]", out)
        else:
            unknown_fields(value, f"{path}.{fd.name}", out)


def load_proto_request(raw):
    req = trace_service_pb2.ExportTraceServiceRequest()
    try:
        req.ParseFromString(raw)
    except Exception as e:  # DecodeError
        return None, [f"ParseFromString: {e}"]
    problems = []
    unknown_fields(req, "$", problems)
    again = req.SerializeToString(deterministic=True)
    if again != raw:
        at = next((i for i, (a, b) in enumerate(zip(raw, again)) if a != b), min(len(raw), len(again)))
        problems.append(f"not canonical: re-serialized {len(again)} bytes vs {len(raw)} in the file, "
                        f"first difference at offset {at}: file {raw[at:at + 16].hex()} vs {again[at:at + 16].hex()}")
    return req, problems


def main(argv):
    if len(argv) != 4 or argv[1] not in ("proto", "json"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    mode, path, expected_path = argv[1:]
    with open(path, "rb") as f:
        raw = f.read()
    with open(expected_path, "rb") as f:
        expected = json.loads(f.read().decode("utf-8"))
    req, problems = (load_proto_request if mode == "proto" else load_json_request)(raw)
    if req is not None:
        got = normalize(req)
        problems += got.pop("extra")
        diff("$", expected, got, problems)
    if problems:
        print(f"check_otlp {mode} {path}: {len(problems)} difference(s)")
        for p in problems:
            print("  " + p)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
