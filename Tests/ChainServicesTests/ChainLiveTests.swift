import ChainTestSupport
import Foundation
import Glibc
import HTTP1
import Postgres
import Reactor
import Tracing
import Metrics
import OTLPExport
import XCTest
@testable import ChainServices

/// The three handler sets on one loop group against the test's PostgreSQL, calling each other
/// over loopback HTTP as in `chain serve --service all`.
final class ChainLiveTests: XCTestCase {
    var chain: LiveChain!
    var tracers: [ServiceName: Tracer] { chain.tracers }

    override func setUpWithError() throws { chain = try LiveChain() }

    override func tearDown() { chain?.stop() }

    func post(_ body: String, traceparent: String? = nil) throws -> (Int, String) {
        try chain.post(body, headers: traceparent.map { ["traceparent: \($0)"] } ?? [])
    }

    func get(_ service: ServiceName, _ path: String) throws -> (Int, String) {
        try exchange(service, "GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    }

    func exchange(_ service: ServiceName, _ req: String) throws -> (Int, String) { try chain.exchange(service, req) }

    func exposition(_ service: ServiceName) -> String { chain.exposition(service) }

    func testUser1002GetsTheContractBodyAndOneTraceAcrossTheChain() throws {
        let (status, body) = try post(#"{"user_id": 1002, "action": "purchase"}"#,
                                      traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        XCTAssertEqual(status, 200, body)
        // Ids come from the database; everything else is exact.
        let normalized = body.replacingOccurrences(of: #""order":\{"id":\d+"#, with: #""order":{"id":N"#, options: .regularExpression)
            .replacingOccurrences(of: #""audit":\{"id":\d+"#, with: #""audit":{"id":N"#, options: .regularExpression)
        XCTAssertEqual(normalized, #"{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","status":"completed","user":{"id":1002,"name":"User 1002","email":"user1002@example.com","tier":"silver"},"order":{"id":N,"items":[{"sku":"SKU-1002-0","quantity":1,"unit_price_cents":1562}],"subtotal_cents":1562,"discount_cents":78,"tax_cents":122,"total_cents":1606},"audit":{"id":N,"status":"recorded"}}"#)

        // The reply can arrive before the services end (and ring) their last spans: drain until
        // every expected span is there.
        let expectedSpans = ["user-service POST /process", "user-service validate_user", "user-service SELECT users", "user-service POST",
                             "order-service POST /process", "order-service calculate_pricing", "order-service INSERT orders", "order-service POST",
                             "audit-service POST /process", "audit-service INSERT audit_logs"]
        var spans: [(ServiceName, ExportSpan)] = []
        var inTrace: [(ServiceName, ExportSpan)] = []
        var names = Set<String>()
        eventually(timeout: .seconds(5)) {
            for name in ServiceName.allCases {
                spans += tracers[name]!.ring.drainExported().map { (name, $0) }
            }
            inTrace = spans.filter { $0.1.traceID.0 == 0x4bf92f3577b34da6 }
            names = Set(inTrace.map { "\($0.0.rawValue) \($0.1.name)" })
            return names.isSuperset(of: expectedSpans)
        }
        for expected in expectedSpans {
            XCTAssertTrue(names.contains(expected), "missing span \(expected) after 5 s in \(names.sorted())")
        }
        let byID = Dictionary(inTrace.map { ($0.1.spanID, $0.1) }, uniquingKeysWith: { a, _ in a })
        let orderServer = try XCTUnwrap(inTrace.first { $0.0 == .order && $0.1.kind == .server }?.1)
        XCTAssertEqual(byID[orderServer.parentSpanID]?.name, "POST", "order-service's server span is a child of user-service's client span")
        XCTAssertEqual(byID[orderServer.parentSpanID]?.kind, .client)
        let pricing = try XCTUnwrap(inTrace.first { $0.1.name == "calculate_pricing" }?.1)
        XCTAssertEqual(pricing.events.map(\.name), ["item"])
        XCTAssertTrue(pricing.attributes.contains(Attribute("order.total_cents", Int64(1606))))
        let userServer = try XCTUnwrap(inTrace.first { $0.0 == .user && $0.1.kind == .server }?.1)
        XCTAssertTrue(userServer.attributes.contains(Attribute("user.tier", "silver")), "\(userServer.attributes)")
        XCTAssertTrue(userServer.attributes.contains { $0.key == "order.id" } && userServer.attributes.contains { $0.key == "audit.id" })
        let db = try XCTUnwrap(inTrace.first { $0.1.name == "INSERT orders" }?.1)
        XCTAssertTrue(db.attributes.contains(Attribute("db.system.name", "postgresql")))
        XCTAssertTrue(db.attributes.contains(Attribute("db.collection.name", "orders")))
    }

    func testReadEndpoints() throws {
        let (s1, b1) = try get(.user, "/users?limit=2&after_id=1000")
        XCTAssertEqual(s1, 200)
        XCTAssertEqual(b1, #"{"users":[{"id":1001,"name":"User 1001","email":"user1001@example.com","tier":"silver"},{"id":1002,"name":"User 1002","email":"user1002@example.com","tier":"silver"}],"next_after_id":1002}"#)
        XCTAssertEqual(try get(.user, "/users/1010").1, #"{"id":1010,"name":"User 1010","email":"user1010@example.com","tier":"gold"}"#)
        XCTAssertEqual(try get(.user, "/users/0").0, 404)
        XCTAssertEqual(try get(.user, "/users?limit=101").0, 400)
        let (_, last) = try get(.user, "/users?after_id=9999")
        XCTAssertTrue(last.hasSuffix(#""next_after_id":null}"#), last)

        let (ps, pb) = try post(#"{"user_id": 1001, "action": "read_test"}"#)
        XCTAssertEqual(ps, 200, pb)
        let orderID = try XCTUnwrap(pb.range(of: #"(?<="order":\{"id":)\d+"#, options: .regularExpression).map { String(pb[$0]) })
        let traceID = String(pb.dropFirst(#"{"trace_id":""#.count).prefix(32))
        let (os, ob) = try get(.order, "/orders/\(orderID)")
        XCTAssertEqual(os, 200, ob)
        XCTAssertTrue(ob.contains(#""user_id":1001"#) && ob.contains(#""action":"read_test""#) && ob.contains(#""total_cents":6368"#), ob)
        XCTAssertTrue(ob.contains(#""trace_id":"\#(traceID)""#) && ob.contains(#""created_at":"20"#), ob)
        XCTAssertEqual(try get(.order, "/orders/999999999").0, 404)
        let (lo, lb) = try get(.order, "/orders?after_id=\(Int(orderID)! - 1)&limit=1")
        XCTAssertEqual(lo, 200)
        XCTAssertTrue(lb.hasPrefix(#"{"orders":[{"id":\#(orderID),"#), lb)
        let (au, ab) = try get(.audit, "/audit?trace_id=\(traceID)")
        XCTAssertEqual(au, 200, ab)
        XCTAssertTrue(ab.contains(#""order_id":\#(orderID)"#) && ab.contains(#""status":"completed""#) && ab.contains(#""total_cents": 6368"#), ab)
        XCTAssertEqual(try get(.audit, "/audit?trace_id=XYZ").0, 400)
    }

    /// Each service connects under its own name and asks for generic plans; a URL's own
    /// `options` still win (they come after).
    func testServicesConnectUnderTheirNamesWithGenericPlans() throws {
        let p = try ChainService.connectParams("postgresql://u@127.0.0.1:5/db?options=-c%20plan_cache_mode%3Dauto", service: .order)
        XCTAssertEqual(p.get("application_name"), "order-service")
        XCTAssertEqual(p.get("options"), "-c plan_cache_mode=force_generic_plan -c plan_cache_mode=auto -c TimeZone=UTC")
        XCTAssertEqual(try ChainService.connectParams("postgresql://u@127.0.0.1:5/db?application_name=mine", service: .user)
            .get("application_name"), "mine")

        XCTAssertEqual(try post(#"{"user_id": 1003, "action": "named"}"#).0, 200)
        let names = chain.psql("""
            SELECT string_agg(DISTINCT application_name, ',' ORDER BY application_name) FROM pg_stat_activity \
            WHERE datname = current_database() AND application_name LIKE '%-service'
            """)
        XCTAssertEqual(names, "audit-service,order-service,user-service")
    }

    func testErrorsFollowTheContract() throws {
        let (s1, b1) = try post(#"{"user_id": 987654321, "action": "x"}"#)
        XCTAssertEqual(s1, 404)
        XCTAssertTrue(b1.hasPrefix(#"{"error":{"code":"user_not_found","#), b1)
        let (s2, b2) = try post(#"{"user_id": "1", "action": "x"}"#)
        XCTAssertEqual(s2, 400)
        XCTAssertTrue(b2.contains(#""code":"invalid_request""#) && b2.contains("user_id"), b2)
        let (s3, b3) = try post("[1,2]")
        XCTAssertEqual(s3, 400)
        XCTAssertTrue(b3.contains(#""code":"invalid_json""#), b3)
    }

    /// The database metrics of the dashboards: operations, pool occupancy and errors by SQLSTATE.
    func testDatabaseMetricsCountOperationsPoolAndErrors() throws {
        XCTAssertEqual(try post(#"{"user_id": 1001, "action": "metrics"}"#).0, 200)
        // order-service storing an order for a user that does not exist: a foreign-key violation.
        let body = #"{"user": {"id": 987654320, "name": "Nobody", "email": "n@example.com", "tier": "standard"}, "action": "x"}"#
        let (st, b) = try exchange(.order, "POST /process HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
        XCTAssertEqual(st, 400, b)

        let user = exposition(.user), order = exposition(.order)
        XCTAssertTrue(user.contains(#"db_client_connections{service="user-service",state="ready"} 1"#), user)
        XCTAssertTrue(user.contains(#"db_client_connections{service="user-service",state="not_ready"} 0"#), user)
        XCTAssertTrue(user.contains(#"db_client_connection_max{service="user-service"} 1"#), user)
        XCTAssertTrue(user.contains(#"db_client_operations_in_flight{service="user-service"} 0"#), user)
        XCTAssertTrue(user.contains(#"db_client_connection_pending_requests{service="user-service"} 0"#), user)
        XCTAssertTrue(user.contains(#"db_client_operation_duration_seconds_count{service="user-service",operation="SELECT",table="users"} "#), user)
        XCTAssertFalse(user.contains("db_client_operation_errors_total{"), "no failed operation in user-service")
        XCTAssertTrue(order.contains(#"db_client_operation_errors_total{service="order-service",operation="INSERT",table="orders",error_type="23503"} 1"#), order)
    }

    /// The chain the tests run is assembled as `chain serve` assembles it (`ChainApp`): the
    /// latency histograms of the contract are connected, server side and client side.
    func testRequestLatencyIsMeasuredOnEveryHop() throws {
        XCTAssertEqual(try post(#"{"user_id": 1001, "action": "latency"}"#).0, 200)
        let user = exposition(.user), order = exposition(.order), audit = exposition(.audit)
        XCTAssertTrue(user.contains(#"http_server_request_duration_seconds_count{service="user-service",method="POST",route="/process",status="200"} "#), user)
        XCTAssertTrue(order.contains(#"http_server_request_duration_seconds_count{service="order-service",method="POST",route="/process",status="200"} "#), order)
        XCTAssertTrue(audit.contains(#"http_server_request_duration_seconds_count{service="audit-service",method="POST",route="/process",status="200"} "#), audit)
        XCTAssertTrue(user.contains(#"http_client_request_duration_seconds_count{service="user-service",peer="#), user)
    }

    /// The loops' busy time is on every service's /metrics (the process's loops, shared by its
    /// services): one series per loop, counting the iterations that served the request.
    func testLoopIterationTimeIsOnEveryServicesMetrics() throws {
        XCTAssertEqual(try post(#"{"user_id": 1002, "action": "loops"}"#).0, 200)
        for service in [ServiceName.user, .order, .audit] {
            let text = exposition(service)
            let count = text.split(separator: "\n")
                .first { $0.hasPrefix(#"chain_loop_iteration_seconds_count{loop="0"} "#) }
                .flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
            XCTAssertGreaterThan(count, 0, "\(service): \(text)")
            XCTAssertTrue(text.contains(#"chain_loop_iteration_seconds_bucket{loop="0",le="5e-06"} "#), "\(service)")
        }
    }
}
