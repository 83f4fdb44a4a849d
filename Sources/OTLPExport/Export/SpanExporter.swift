// The span exporter thread: one per process. Through `take` it moves batches of finished spans
// out of their source (the loops' rings of encoded spans: RingSpanSource copies them out) as OTLP
// ExportTraceServiceRequests, and POSTs them to the collector (or appends them as OTLP/JSON to a
// file when no endpoint is configured). The loops never wait for it: a full ring drops spans on
// their side.
//
// Schedule: take up to `maxBatch` spans; send them; when the batch was full, go again at once,
// otherwise sleep `scheduleDelay` (cut short by shutdown). Retries: see RetryPolicy; a batch that
// runs out of retries or of its export time (OTEL_BSP_EXPORT_TIMEOUT) is dropped and counted.
// Shutdown: keeps draining and sending until the rings are empty or the deadline passes.

import Glibc
import HTTP1
import Reactor
import Synchronization
import Tracing

/// How the exporter wants a batch encoded: protobuf for OTLP/HTTP, JSON for the span file.
public enum SpanEncoding: Sendable { case protobuf, json }

/// `@unchecked Sendable`: the counters are atomics, `state`'s exchange lets one caller start and
/// one shut down (the owner calls them in that order, so `thread` is never raced), and the
/// "exporter-thread state" below is touched by the exporter thread alone.
public final class SpanExporter<Span: ExportableSpan>: @unchecked Sendable {
    /// Moves up to `max` finished spans out of their source into `out`, appended as one OTLP
    /// ExportTraceServiceRequest in `encoding`; returns how many. Called on the exporter thread.
    /// The spans leave the source here: retries resend the bytes.
    public typealias Take = (_ max: Int, _ encoding: SpanEncoding, _ out: inout [UInt8]) -> Int

    public let config: ExporterConfig
    public let resource: ExportResource
    public let scopeName: String
    public let scopeVersion: String
    public let retryPolicy: RetryPolicy
    /// Gets error messages from the exporter thread (rate-limited: at most one line per 10 s plus
    /// a count of the suppressed ones). Set before `start()`. Default: standard error.
    public var logger: (@Sendable (String) -> Void)? = { message in
        fputs("telemetry: \(message)\n", stderr)
    }

    private let take: Take
    let waker = ExportWaker()
    private var thread: OSThread?
    private let state = Atomic<Int>(0)  // 0 new, 1 started, 2 shutting down / shut down

    // Counters (relaxed atomics, read by metrics from any thread).
    private let exported = Atomic<Int>(0)
    private let failed = Atomic<Int>(0)
    private let failures = Atomic<Int>(0)
    private let rejected = Atomic<Int>(0)
    private let lastDuration = Atomic<UInt64>(0)
    private let durationSum = Atomic<UInt64>(0)
    private let durationCount = Atomic<Int>(0)
    private let requests = Atomic<Int>(0)

    // Exporter-thread state.
    private var client: BlockingHTTPClient?
    private var fileSink: SpanFileSink?
    private var gzipper: GzipCompressor?
    private var encoded: [UInt8] = []
    private var compressed: [UInt8] = []
    private var requestHeaders: [(String, String)] = []
    private var lastLog: Instant?
    private var suppressedLogs = 0

    /// Spans come from `take`, already encoded (the loops' rings: see `RingSpanSource`).
    public init(config: ExporterConfig, resource: ExportResource, scopeName: String, scopeVersion: String,
                take: @escaping Take) {
        var c = config
        c.maxBatch = max(1, c.maxBatch)
        c.scheduleDelay = max(c.scheduleDelay, .milliseconds(1))
        c.maxRetries = max(0, c.maxRetries)
        self.config = c
        self.resource = resource
        self.scopeName = scopeName
        self.scopeVersion = scopeVersion
        self.retryPolicy = RetryPolicy(maxRetries: c.maxRetries)
        self.take = take
    }

    /// Spans come as values: `drain` appends up to `max` of them to its array and returns how
    /// many; the exporter encodes them with `Span`'s encoders.
    public convenience init(config: ExporterConfig, resource: ExportResource, scopeName: String, scopeVersion: String,
                            drain: @escaping (_ max: Int, _ into: inout [Span]) -> Int) {
        var batch: [Span] = []   // exporter thread only
        self.init(config: config, resource: resource, scopeName: scopeName, scopeVersion: scopeVersion) { max, encoding, out in
            batch.removeAll(keepingCapacity: true)
            _ = drain(max, &batch)
            guard !batch.isEmpty else { return 0 }
            switch encoding {
            case .protobuf:
                Span.encodeProtobuf(resource: resource, scopeName: scopeName, scopeVersion: scopeVersion, spans: batch, into: &out)
            case .json:
                Span.encodeJSON(resource: resource, scopeName: scopeName, scopeVersion: scopeVersion, spans: batch, into: &out)
            }
            return batch.count
        }
    }

    // MARK: counters

    /// Spans the collector accepted (partial_success rejections excluded), or written to the file.
    public var spansExported: Int { exported.load(ordering: .relaxed) }
    /// Spans given up on: retries or export time exhausted, a non-retryable status, a file error,
    /// or still unsent when the shutdown deadline passed.
    public var spansFailed: Int { failed.load(ordering: .relaxed) }
    /// Failed HTTP attempts (any status other than 2xx, connection errors, timeouts) and failed file writes.
    public var exportFailures: Int { failures.load(ordering: .relaxed) }
    /// Spans the collector rejected through partial_success.rejected_spans.
    public var partialRejected: Int { rejected.load(ordering: .relaxed) }
    /// HTTP requests sent (attempts, retries included).
    public var requestsSent: Int { requests.load(ordering: .relaxed) }
    /// Duration of the last batch export (encode + send, retries included), in nanoseconds.
    public var lastExportDurationNanos: UInt64 { lastDuration.load(ordering: .relaxed) }
    /// Sum and count of batch export durations, for a summary or histogram.
    public var exportDurationSumNanos: UInt64 { durationSum.load(ordering: .relaxed) }
    public var exportCount: Int { durationCount.load(ordering: .relaxed) }

    // MARK: lifecycle

    /// Asks for an export now rather than at the end of the schedule delay (a loop calls this
    /// when its ring passes a high-water mark). Cheap and safe from any thread.
    public func nudge() { waker.nudge() }

    /// Starts the exporter thread (once). Does nothing when the config is disabled.
    public func start() throws {
        guard !config.disabled else { return }
        guard state.compareExchange(expected: 0, desired: 1, ordering: .acquiringAndReleasing).exchanged else { return }
        do {
            thread = try OSThread.spawn(name: "otlp-exporter") { [self] in run() }
        } catch {
            state.store(0, ordering: .releasing)
            throw error
        }
    }

    /// Flushes what is queued (drains until empty, sends) within `deadline`, then stops the
    /// thread. Returns once the thread has ended; the deadline also bounds a send in progress.
    public func shutdown(deadline: Instant) {
        let previous = state.exchange(2, ordering: .acquiringAndReleasing)
        guard previous == 1 else { return }
        waker.requestStop(deadline: deadline)
        thread?.join()
        thread = nil
    }

    // MARK: the thread

    private func run() {
        if let e = config.endpoint {
            client = BlockingHTTPClient(host: e.host, port: e.port, waker: waker)
            // A User-Agent from OTEL_EXPORTER_OTLP_HEADERS replaces ours (Content-Type and the
            // framing headers never come from there: see EnvParse.headerList).
            let custom = Set(config.headers.map { EnvParse.lower($0.0) })
            requestHeaders = custom.contains("user-agent") ? [] : [("User-Agent", "chain-otlp/\(telemetrySDKVersion)")]
            requestHeaders.append(("Content-Type", "application/x-protobuf"))
            requestHeaders += config.headers
            if config.gzip {
                gzipper = GzipCompressor()
            }
        } else {
            fileSink = SpanFileSink(path: config.filePath)
        }
        let encoding: SpanEncoding = client != nil ? .protobuf : .json
        while true {
            let stopping = waker.isStopping
            if stopping && Instant.now() >= waker.stopDeadline { break }
            let start = Instant.now()
            encoded.removeAll(keepingCapacity: true)
            let count = take(config.maxBatch, encoding, &encoded)
            if count > 0 { export(count, start: start) }
            if stopping {
                if count == 0 { break }
                continue
            }
            if count >= config.maxBatch { continue }
            waker.sleepBetweenBatches(until: Instant.now() + config.scheduleDelay)
        }
        client?.close()
        client = nil
        fileSink?.close()
        fileSink = nil
    }

    /// Sends the `count` spans encoded in `encoded`; `start` is when their batch was taken.
    private func export(_ count: Int, start: Instant) {
        if let client = client {
            exportHTTP(count, client, start: start)
        } else if let sink = fileSink {
            encoded.append(UInt8(ascii: "\n"))
            if let error = sink.append(encoded) {
                failures.add(1, ordering: .relaxed)
                failed.add(count, ordering: .relaxed)
                log("dropped \(count) spans: \(error)")
            } else {
                exported.add(count, ordering: .relaxed)
            }
        }
        let d = (Instant.now() - start).nanoseconds
        lastDuration.store(d, ordering: .relaxed)
        durationSum.add(d, ordering: .relaxed)
        durationCount.add(1, ordering: .relaxed)
    }

    private func exportHTTP(_ count: Int, _ client: BlockingHTTPClient, start: Instant) {
        let endpoint = config.endpoint!
        var headers = requestHeaders
        var useGzip = false
        if let g = gzipper, g.compress(encoded, into: &compressed) {
            useGzip = true
            headers.append(("Content-Encoding", "gzip"))
        }
        let batchDeadline = Self.deadline(start, plus: config.exportTimeout)
        var retry = 0
        while true {
            let attemptDeadline = min(batchDeadline, Self.deadline(Instant.now(), plus: config.timeout))
            requests.add(1, ordering: .relaxed)
            let result = client.request(method: .POST, path: endpoint.path, headers: headers,
                                        body: useGzip ? compressed : encoded, deadline: attemptDeadline)
            let delay: TimeAmount
            let what: String
            switch result {
            case .success(let r) where (200 ..< 300).contains(r.status):
                let refused = min(count, max(0, Self.rejectedSpans(r)))
                exported.add(count - refused, ordering: .relaxed)
                if refused > 0 {
                    rejected.add(refused, ordering: .relaxed)
                    log("collector rejected \(refused) of \(count) spans (partial_success)")
                }
                return
            case .success(let r):
                failures.add(1, ordering: .relaxed)
                what = "HTTP \(r.status)"
                guard RetryPolicy.isRetryable(status: r.status) else {
                    return giveUp(count, "\(what), not retryable")
                }
                let after = r.retryAfter.flatMap { RetryPolicy.parseRetryAfter($0, nowWallNanos: wallNanos()) }
                delay = after ?? retryPolicy.backoff(retry: retry)
            case .failure(let f):
                failures.add(1, ordering: .relaxed)
                what = f.description
                delay = retryPolicy.backoff(retry: retry)
            }
            guard retry < retryPolicy.maxRetries else {
                return giveUp(count, "\(what), after \(retry + 1) attempts")
            }
            // A wait that ends after the batch's (or shutdown's) deadline cannot help: give up now.
            let limit = min(batchDeadline, waker.stopDeadline)
            let t = Instant.now()
            guard t < limit, delay < limit - t else {
                return giveUp(count, "\(what), no time left to retry")
            }
            waker.sleep(until: t + delay, returnOnStop: false)
            retry += 1
        }
    }

    /// `start + amount`, saturating at the end of the clock rather than wrapping: a huge timeout
    /// means no deadline.
    static func deadline(_ start: Instant, plus amount: TimeAmount) -> Instant {
        let (sum, overflow) = start.nanoseconds.addingReportingOverflow(amount.nanoseconds)
        return Instant(nanoseconds: overflow ? UInt64.max : sum)
    }

    private func giveUp(_ count: Int, _ reason: String) {
        failed.add(count, ordering: .relaxed)
        log("dropped \(count) spans: \(reason)")
    }

    /// partial_success.rejected_spans of a 2xx response (protobuf, or OTLP/JSON when the collector
    /// answers with JSON); 0 when absent.
    static func rejectedSpans(_ r: BlockingHTTPClient.Response) -> Int {
        guard !r.body.isEmpty else { return 0 }
        if let ct = r.contentType, EnvParse.lower(ct).hasPrefix("application/json") {
            return jsonRejectedSpans(r.body)
        }
        let decoded = r.body.withUnsafeBytes { OTLPResponse.decodePartialSuccess($0) }
        guard let p = decoded else { return 0 }
        return Int(clamping: p.rejectedSpans)
    }

    /// `"rejectedSpans": "N"` (or a bare number) anywhere in a JSON body; 0 when absent.
    static func jsonRejectedSpans(_ body: [UInt8]) -> Int {
        let key = Array("\"rejectedSpans\"".utf8)
        guard body.count >= key.count else { return 0 }
        var i = 0
        while i + key.count <= body.count {
            if body[i] == key[0] && Array(body[i ..< i + key.count]) == key {
                var j = i + key.count
                while j < body.count && (EnvParse.isSpace(body[j]) || body[j] == UInt8(ascii: ":") || body[j] == UInt8(ascii: "\"")) {
                    j += 1
                }
                var v = 0
                while j < body.count, body[j] >= 0x30, body[j] <= 0x39, v < Int.max / 10 - 10 {
                    v = v * 10 + Int(body[j] - 0x30)
                    j += 1
                }
                return v
            }
            i += 1
        }
        return 0
    }

    private func log(_ message: String) {
        guard let logger = logger else { return }
        let now = Instant.now()
        if let last = lastLog, now - last < .seconds(10) {
            suppressedLogs += 1
            return
        }
        let more = suppressedLogs > 0 ? " (\(suppressedLogs) similar messages suppressed)" : ""
        suppressedLogs = 0
        lastLog = now
        logger("otlp export: \(message)\(more)")
    }
}
