import HTTP1
import Tracing
import Metrics
import OTLPExport

extension ProcessTelemetry {
    /// Admission control's refusals as counters, read from the server's per-loop atomics at
    /// scrape time: shedding shows on a dashboard instead of only in clients' 503s.
    func registerAdmissionMetrics(_ server: HTTPServer) {
        let service = serviceName
        metrics.counterFunc(MetricNames.httpServerRequestsShed,
                            help: "Requests refused with 503 because the loop was at --max-in-flight.",
                            labels: ["service"]) {
            [(labelValues: [service], value: Double(server.shedCount))]
        }
        metrics.counterFunc(MetricNames.httpServerAcceptPauses,
                            help: "Times a loop stopped accepting: --max-connections reached, or out of descriptors or memory.",
                            labels: ["service"]) {
            [(labelValues: [service], value: Double(server.acceptPauseCount))]
        }
        metrics.counterFunc(MetricNames.loopInterestFailures,
                            help: "epoll_ctl calls that failed on the service's loops (recovered, or the descriptor's owner told to close it).",
                            labels: ["service"]) {
            [(labelValues: [service], value: Double(server.interestFailureCount))]
        }
    }
}
