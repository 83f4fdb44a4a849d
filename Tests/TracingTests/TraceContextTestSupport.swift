@testable import Tracing
@testable import Metrics
@testable import OTLPExport

/// Header values as the HTTP layer hands them over: views into one request buffer.
func withHeaderValues<R>(_ values: [String], _ body: ([UnsafeRawBufferPointer]) -> R) -> R {
    let storage = Array(values.joined().utf8)
    return storage.withUnsafeBytes { all in
        var views: [UnsafeRawBufferPointer] = []
        var offset = 0
        for v in values {
            let n = v.utf8.count
            views.append(UnsafeRawBufferPointer(rebasing: all[offset..<(offset + n)]))
            offset += n
        }
        return body(views)
    }
}

/// Parses through the raw-bytes entry point, not the String convenience.
func parseTraceParent(_ value: String) -> SpanContext? {
    withHeaderValues([value]) { TraceParent.parse($0[0]) }
}

func parseTraceState(_ values: String...) -> TraceState? {
    withHeaderValues(values) { TraceState.parse($0) }
}

func extract(traceparent: [String], tracestate: [String] = []) -> IncomingContext {
    withHeaderValues(traceparent) { tp in
        withHeaderValues(tracestate) { ts in TraceParent.extract(traceparent: tp, tracestate: ts) }
    }
}

enum Vector {
    static let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let spanID = "00f067aa0ba902b7"
    static let sampled = "00-\(traceID)-\(spanID)-01"
    static let unsampled = "00-\(traceID)-\(spanID)-00"

    static func traceparent(version: String = "00", traceID: String = traceID, spanID: String = spanID,
                            flags: String = "01", sep: String = "-") -> String {
        [version, traceID, spanID, flags].joined(separator: sep)
    }

    /// `n` distinct valid members: k0=v0,k1=v1,...
    static func members(_ n: Int, prefix: String = "k") -> String {
        (0..<n).map { "\(prefix)\($0)=v\($0)" }.joined(separator: ",")
    }
}
