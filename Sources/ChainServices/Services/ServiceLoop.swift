import HTTP1
import Postgres
import Reactor
import Tracing
import Metrics
import OTLPExport

public enum ServiceName: String, Sendable, CaseIterable {
    case user = "user-service", order = "order-service", audit = "audit-service"
}

/// What one service's handlers use on one loop: its database pool, the loop's tracer, the
/// client to the next service, and the metric handles. Made on the loop, used only there.
final class ServiceLoop {
    let loop: EventLoop
    let service: ServiceName
    let pool: PGPool
    let tracer: Tracer
    let next: HTTPClient?
    let nextPort: Int
    let metrics: ServiceMetrics?
    private var dbHandles: [Int: HistogramHandle] = [:]
    private var dbErrorHandles: [String: CounterHandle] = [:]   // by statement and error kind
    private var clientHandles: [Int: HistogramHandle] = [:]

    init(loop: EventLoop, service: ServiceName, pool: PGPool, tracer: Tracer, next: HTTPClient?, nextPort: Int, metrics: ServiceMetrics?) {
        self.loop = loop
        self.service = service
        self.pool = pool
        self.tracer = tracer
        self.next = next
        self.nextPort = nextPort
        self.metrics = metrics
    }

    /// Runs a statement inside a CLIENT span with the database conventions, and records
    /// `db_client_operation_duration_seconds`.
    func query(_ sql: SQL, _ params: [PGParam], parent: SpanContext?, budget: UInt64,
               _ done: @escaping (Result<PGRows, PGError>) -> Void) {
        let span = tracer.start(sql.spanName, kind: .client, parent: parent)
        tracer.setAttribute(span, "db.system.name", .literal("postgresql"))
        tracer.setAttribute(span, "db.operation.name", .literal(sql.operation))
        tracer.setAttribute(span, "db.collection.name", .literal(sql.table))
        tracer.setAttribute(span, "db.query.text", .literal(sql.text))
        let started = monotonicNanos()
        pool.query(sql.rawValue, params, deadline: loop.now &+ budget) { [self] result in
            if case .failure(let e) = result {
                tracer.recordError(span, type: "PGError", message: e.description)
                dbErrorHandle(sql, e)?.inc()
            }
            tracer.end(span)
            dbHandle(sql).map { $0.observe(Double(monotonicNanos() &- started) / 1e9) }
            done(result)
        }
    }

    private func dbHandle(_ sql: SQL) -> HistogramHandle? {
        guard let metrics else { return nil }
        if let h = dbHandles[sql.rawValue] { return h }
        let h = metrics.dbDuration.handle(loop: loop.index, [service.rawValue, sql.operation.description, sql.table.description])
        dbHandles[sql.rawValue] = h
        return h
    }

    private func dbErrorHandle(_ sql: SQL, _ error: PGError) -> CounterHandle? {
        guard let metrics else { return nil }
        let key = "\(sql.rawValue) \(error.kind)"
        if let h = dbErrorHandles[key] { return h }
        let h = metrics.dbErrors.handle(loop: loop.index, [service.rawValue, sql.operation.description, sql.table.description, error.kind])
        dbErrorHandles[key] = h
        return h
    }

    func clientHandle(status: Int) -> HistogramHandle? {
        guard let metrics, let next else { return nil }
        if let h = clientHandles[status] { return h }
        let h = metrics.clientDuration.handle(loop: loop.index, [service.rawValue, next.hostHeader, status == 0 ? "error" : String(status)])
        clientHandles[status] = h
        return h
    }
}

/// One slot per loop, each written and read only by its own loop's thread.
final class PerLoop<T: AnyObject>: @unchecked Sendable {
    private let slots: UnsafeMutablePointer<T?>
    let count: Int

    init(count: Int) {
        self.count = count
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil, count: count)
    }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }

    subscript(loop: EventLoop) -> T? {
        get { slots[loop.index] }
        set { slots[loop.index] = newValue }
    }
}
