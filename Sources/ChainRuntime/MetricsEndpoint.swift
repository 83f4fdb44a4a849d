import HTTP1
import Metrics

/// `GET /metrics`: Prometheus text 0.0.4, or OpenMetrics (with exemplars) when the scraper's
/// Accept header asks for it.
enum MetricsEndpoint {
    static func register(on router: Router, registry: MetricsRegistry) {
        router.add(.GET, "/metrics", admission: .always) { req, res in
            // A fresh buffer per scrape: scrapes are rare, and loops share no scratch space.
            var out: [UInt8] = []
            out.reserveCapacity(16 * 1024)
            if MetricsRegistry.wantsOpenMetrics(acceptHeader: req.header("accept")) {
                registry.renderOpenMetrics(into: &out)
                res.respond(status: 200, contentType: MetricsRegistry.openMetricsContentType, body: out)
            } else {
                registry.renderPrometheus(into: &out)
                res.respond(status: 200, contentType: MetricsRegistry.prometheusContentType, body: out)
            }
        }
    }
}
