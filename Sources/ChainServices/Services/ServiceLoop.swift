import HTTP1
import Metrics
import Postgres
import Reactor
import Tracing

/// What one service's handlers use on one loop: its database pool, the loop's tracer, the
/// client to the next service, and the metric handles. Made for every loop before the loops
/// start (`ChainService`), used only on its own loop after that.
final class ServiceLoop {
    let loop: EventLoop
    let service: ServiceName
    let pool: PGPool
    let poolStats: PGPoolStats
    let tracer: Tracer
    let next: NextService?
    let metrics: ServiceMetrics?
    private var dbHandles: [Int: HistogramHandle] = [:]
    private var dbErrorHandles: [String: CounterHandle] = [:]   // by statement and error kind

    init(loop: EventLoop, service: ServiceName, pool: PGPool, poolStats: PGPoolStats, tracer: Tracer,
         next: NextService?, metrics: ServiceMetrics?) {
        self.loop = loop
        self.service = service
        self.pool = pool
        self.poolStats = poolStats
        self.tracer = tracer
        self.next = next
        self.metrics = metrics
    }

    /// Runs a statement inside a CLIENT span with the database conventions, and records
    /// `db_client_operation_duration_seconds`. It ends by `deadline`, and within
    /// `Budget.database` in any case (nil: that budget alone, for work whose outcome is
    /// already decided, like recording an answer). `db.query.text` is set when the query
    /// completes, to the statement that ran: the multi-row form when the pool sent it together
    /// with others of its batch, with their number in `db.operation.batch.size`.
    func query(_ sql: SQL, _ params: [PGParam], parent: SpanContext?, until deadline: Instant?,
               _ done: @escaping (Result<PGRows, PGError>) -> Void) {
        let span = tracer.start(sql.spanName, kind: .client, parent: parent)
        tracer.setAttribute(span, "db.system.name", .literal("postgresql"))
        tracer.setAttribute(span, "db.operation.name", .literal(sql.operation))
        tracer.setAttribute(span, "db.collection.name", .literal(sql.table))
        let started = Instant.now()
        let own = loop.now + Budget.database
        pool.query(sql.rawValue, params, deadline: deadline.map { min($0, own) } ?? own) { [self] result, run in
            // The pool's statements are made from these texts (`SQL.statements`): the literal
            // that names what ran is the one equal to `run.sql`.
            let text = run.isMultiRow ? sql.multiRow?.text ?? sql.text : sql.text
            assert(text.withUTF8Buffer { $0.elementsEqual(run.sql.utf8) }, "the pool ran another text than SQL's")
            tracer.setAttribute(span, "db.query.text", .literal(text))
            if run.isMultiRow { tracer.setAttribute(span, "db.operation.batch.size", .int(Int64(run.batchSize))) }
            if case .failure(let e) = result {
                tracer.recordError(span, type: "PGError", message: e.description)
                dbErrorHandle(sql, e)?.inc()
            }
            tracer.end(span)
            dbHandle(sql)?.observe((Instant.now() - started).seconds)
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
}
