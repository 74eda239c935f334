import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Proxy
import Web

/// `ccglass serve`: the long-lived daemon.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the proxy, dashboard and /metrics on one loopback port.")

    @OptionGroup var listener: ListenerOptions

    func run() async throws {
        let stack = try Stack(options: listener)
        try await stack.runReportingBindFailure { port in
            stack.printBanner(port: port)
        }
    }
}

/// Options every command that starts a listener shares.
struct ListenerOptions: ParsableArguments {
    @Option(help: "Port to listen on (0 picks a free one).")
    var port: Int = 8123

    @Option(help: "Address to bind. Anything but loopback exposes your API traffic to the network.")
    var host: String = "127.0.0.1"

    @Option(name: .customLong("upstream"), help: ArgumentHelp("Point a provider at another URL, e.g. anthropic=https://gateway.example.com. Repeatable.", valueName: "PROVIDER=URL"))
    var upstreams: [String] = []

    @Option(help: "Data directory (default $CCGLASS_HOME or ~/.ccglass).")
    var dataDir: String?

    @Flag(help: "Do not record exchanges to the history database (nothing is written to disk but trace files).")
    var noHistory = false

    @Option(help: "Seconds of upstream silence before a request fails (agents wait minutes: keep it generous).")
    var readTimeout: Int = 600

    @Option(help: "PEM file of extra CA certificates to trust for HTTPS upstreams, beside the system's (a corporate TLS-inspecting proxy's). Default: $NODE_EXTRA_CA_CERTS, as Claude Code uses.")
    var caFile: String?

    @Option(help: "Megabytes of each response body kept in the history (the client always gets all of it).")
    var maxCaptureMb: Int = 16

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    @OptionGroup(title: "OpenTelemetry") var telemetry: TelemetryOptions

    @OptionGroup(title: "Budgets (over <data dir>/config.json; they only warn)") var budgetOptions: BudgetOptions
}

/// Where spans and metrics go besides `/metrics`.
struct TelemetryOptions: ParsableArguments {
    @Flag(help: "Do not write OTLP JSON trace files.")
    var noTraceFiles = false

    @Option(help: "Directory for trace files (default <data dir>/traces).")
    var tracesDir: String?

    @Option(help: "Rotate a trace file when it reaches this many megabytes.")
    var traceMaxMb: Int = 100

    @Option(help: "Trace files to keep.")
    var traceKeep: Int = 10

    @Flag(help: "Put prompts and completions in spans (gen_ai.input.messages, …). Off by default: they may hold secrets or personal data.")
    var captureContent = false

    @Option(help: "Push OTLP/HTTP to this receiver's base URL (…/v1/traces and …/v1/metrics are appended). Default: $OTEL_EXPORTER_OTLP_ENDPOINT.")
    var otlpEndpoint: String?

    @Option(help: "Push spans to this URL as it is. Default: $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT.")
    var otlpTracesEndpoint: String?

    @Option(help: "Push metrics to this URL as it is. Default: $OTEL_EXPORTER_OTLP_METRICS_ENDPOINT.")
    var otlpMetricsEndpoint: String?

    @Option(help: "http/protobuf (OTLP's default) or http/json. Default: $OTEL_EXPORTER_OTLP_PROTOCOL.")
    var otlpProtocol: String?

    @Option(help: "gzip or none. Default: $OTEL_EXPORTER_OTLP_COMPRESSION, else none.")
    var otlpCompression: String?

    @Option(name: .customLong("otlp-header"), help: ArgumentHelp("Header for the receiver, e.g. Authorization=Bearer …. Repeatable; adds to $OTEL_EXPORTER_OTLP_HEADERS.", valueName: "K=V"))
    var otlpHeaders: [String] = []

    @Option(name: .customLong("otlp-resource-attribute"), help: ArgumentHelp("Resource attribute on every span and metric, e.g. user.name=alice. Repeatable; adds to $OTEL_RESOURCE_ATTRIBUTES.", valueName: "K=V"))
    var otlpResourceAttributes: [String] = []

    @Option(help: "Seconds a stopping ccglass keeps trying to deliver what it holds.")
    var otlpDrainSeconds: Double = 5

    @Option(help: "Milliseconds between OTLP span batches.")
    var otlpFlushMs: Int = 1000

    @Option(help: "Seconds between OTLP metric pushes.")
    var otlpMetricsSeconds: Int = 10

    static func pairs(_ specs: [String], flag: String) throws -> [(String, String)] {
        try specs.map { spec in
            guard let eq = spec.firstIndex(of: "="), eq != spec.startIndex else {
                throw ValidationError("--\(flag) '\(spec)' must be NAME=VALUE")
            }
            return (String(spec[..<eq]), String(spec[spec.index(after: eq)...]))
        }
    }
}
