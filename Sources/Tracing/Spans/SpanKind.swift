// The two enums a span record shares with its OTLP form, numbered as the protocol numbers them.

/// opentelemetry.proto.trace.v1.Span.SpanKind
public enum SpanKind: Int32, Sendable {
    case unspecified = 0, `internal` = 1, server = 2, client = 3, producer = 4, consumer = 5
}

/// opentelemetry.proto.trace.v1.Status.StatusCode
public enum StatusCode: Int32, Sendable {
    case unset = 0, ok = 1, error = 2
}
