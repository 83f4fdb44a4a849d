import ArgumentParser

@main
struct Chain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chain",
        abstract: "A traced microservice chain: user -> order -> audit, on one runtime.",
        subcommands: [Serve.self, Migrate.self, Trace.self, BenchDB.self, BenchSpans.self])
}
