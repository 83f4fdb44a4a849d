extension MetricsRegistry {
    /// The standard process metrics (the Go and Python clients' names), read from the kernel
    /// at each scrape.
    public func registerProcessMetrics() {
        counterFunc("process_cpu_seconds_total", help: "Total user and system CPU time spent in seconds.") {
            [(labelValues: [], value: ProcSelfReader.cpuSeconds())]
        }
        gauge("process_resident_memory_bytes", help: "Resident memory size in bytes.") {
            Self.sample(ProcSelfReader.stat().map { $0.residentPages * ProcSelfReader.pageSize })
        }
        gauge("process_virtual_memory_bytes", help: "Virtual memory size in bytes.") {
            Self.sample(ProcSelfReader.stat()?.virtualBytes)
        }
        gauge("process_open_fds", help: "Number of open file descriptors.") {
            Self.sample(ProcSelfReader.openFDs())
        }
        gauge("process_max_fds", help: "Maximum number of open file descriptors.") {
            Self.sample(ProcSelfReader.maxFDs())
        }
        let start = ProcSelfReader.startTimeSeconds()   // fixed for the life of the process
        gauge("process_start_time_seconds",
              help: "Start time of the process since unix epoch in seconds.") {
            Self.sample(start)
        }
        gauge("process_threads", help: "Number of OS threads in the process.") {
            Self.sample(ProcSelfReader.stat()?.threads)
        }
    }

    /// One unlabelled sample, or none when the kernel could not tell.
    private static func sample(_ value: Double?) -> MetricSamples {
        value.map { [(labelValues: [], value: $0)] } ?? []
    }
}
