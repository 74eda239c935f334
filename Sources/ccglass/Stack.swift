import ArgumentParser
import AsyncHTTPClient
import Exporters
import Foundation
import Hummingbird
import Logging
import Proxy
import ServiceLifecycle
import Web

/// Everything one ccglass listener runs: the proxy, its exporters, and the routes beside it.
struct Stack {
    let options: ListenerOptions
    let home: URL
    let logger: Logger
    let context: ProxyContext
    let pool: UpstreamPool
    /// nil when the history cannot be opened: ccglass still forwards, and says why once.
    let history: HistoryStore?
    /// The dashboard's access token (`<home>/token`).
    let token: String
    /// What the user set as budgets: watched, never enforced.
    let budgets: Budgets

    init(options: ListenerOptions, runID: String? = nil) throws {
        self.options = options
        self.home = Home.directory(override: options.dataDir)
        LoggingSetup.bootstrap(level: options.logLevel)
        var logger = Logger(label: "ccglass")
        logger.logLevel = Logger.Level(rawValue: options.logLevel) ?? .info
        self.logger = logger
        let openFiles = FileDescriptorLimit.raiseToHardLimit()
        if openFiles < 4096 { logger.notice("open-file limit is \(openFiles): about \(openFiles / 2) concurrent streams at most") }

        var providers = ProviderTable()
        for spec in options.upstreams { try providers.apply(override: spec) }
        do {
            try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        } catch {
            logger.warning("cannot create \(home.path): \(error)")
        }
        let (prices, warnings) = PriceTable.load(home: home)
        for warning in warnings { logger.warning("\(warning)") }
        let failures = FailureLog(logger: logger)
        self.context = ProxyContext(providers: providers, prices: prices, bus: ExchangeBus(failures: failures),
                                    failures: failures, logger: logger, captureLimit: max(0, options.maxCaptureMb) << 20, runID: runID)
        let caFile = options.caFile ?? ProcessInfo.processInfo.environment["NODE_EXTRA_CA_CERTS"].flatMap { $0.isEmpty ? nil : $0 }
        do {
            self.pool = try UpstreamPool(settings: UpstreamSettings(readTimeout: .seconds(Int64(options.readTimeout)), extraCAFile: caFile))
        } catch {
            throw ValidationError("cannot load the CA certificates in \(caFile ?? "?"): \(error)")
        }
        self.budgets = try options.budgetOptions.budgets(home: home)
        self.history = options.noHistory ? nil : Self.openHistory(home: home, logger: logger)
        if !budgets.isEmpty && history == nil { logger.warning("budgets are not watched without the history (--no-history)") }
        self.token = DashboardAccess.token(home: home)
    }

    /// The dashboard address with its access token, as printed for the user.
    func dashboardURL(port: Int) -> String {
        "http://\(Self.isLoopback(options.host) ? "127.0.0.1" : options.host):\(port)/?token=\(token)"
    }

    static func openHistory(home: URL, logger: Logger) -> HistoryStore? {
        let url = HistoryStore.defaultURL(home: home)
        do {
            let store = try HistoryStore(url: url)
            let abandoned = try store.markAbandoned()
            if abandoned > 0 { logger.notice("marked \(abandoned) exchanges left in flight by a stopped ccglass as incomplete") }
            return store
        } catch {
            logger.error("history disabled: cannot open \(url.path): \(error). Requests are still forwarded; nothing is recorded to disk.")
            return nil
        }
    }

    /// Serves until SIGINT/SIGTERM (`mode: "daemon"`), or until the task is cancelled (a wrapper's own
    /// listener, which leaves signals to the wrapped agent). The sinks of the bus are drained either way.
    func run(mode: String = "daemon", stopper: ListenerStopper? = nil, onRunning: @escaping @Sendable (Int) async -> Void) async throws {
        if !Self.isLoopback(options.host) {
            logger.warning("listening on \(options.host): anyone who can reach it can use your API keys' traffic and read your history")
        }
        let router = Router()
        router.add(middleware: UnknownRouteMiddleware(providers: context.providers.names))
        router.addHealthRoute(HealthReport(mode: mode, providers: context.providers.providers))
        let prometheus = PrometheusExporter(failures: context.failures)
        if let history { prometheus.watch(budgets, history: history) }
        router.addMetricsRoute(prometheus)
        let recent = RecentExchanges()
        let address = ListenerAddress(extraHost: Self.isLoopback(options.host) ? nil : options.host)
        let access = DashboardAccess(token: token, address: address)
        Dashboard(access: access, bus: context.bus, recent: recent, history: history, prices: context.prices, budgets: budgets).register(on: router)
        // Stopped last to first: Prometheus records its last exchanges into the OTLP metrics before the
        // trace exporter pushes them a last time.
        var sinks: [any Service] = [sink(recent)]
        if let telemetry = try makeTraceExporter(prometheus: prometheus) { sinks.append(sink(telemetry)) }
        sinks.append(sink(prometheus))
        if let history {
            sinks.append(sink(HistorySink(store: history, failures: context.failures)))
        } else if !options.noHistory {
            sinks.append(sink(UnrecordedCounter(failures: context.failures)))
        }
        let listener = Listener(host: options.host, port: options.port, context: context, pool: pool,
                                fallback: router.buildResponder(),
                                // A loopback listener relays only requests addressed to it; one bound to the network
                                // on purpose takes whatever name clients reach it by.
                                address: Self.isLoopback(options.host) ? address : nil, logger: logger)
        defer { pool.shutdown() }
        do {
            try await listener.run(services: sinks, handlingSignals: mode == "daemon", stopper: stopper) { port in
                address.bound(to: port)
                await onRunning(port)
            }
        } catch is CancellationError {
            // A wrapper stopping its listener.
        }
    }

    func sink(_ sink: some ExchangeSink) -> any Service {
        SinkService(sink, bus: context.bus, failures: context.failures)
    }

    /// Trace files and/or OTLP push, as the options ask; nil when both are off.
    func makeTraceExporter(prometheus: PrometheusExporter) throws -> TraceExporter? {
        let telemetry = options.telemetry
        let files = telemetry.noTraceFiles ? nil : TraceFileWriter(
            directory: telemetry.tracesDir.map { URL(fileURLWithPath: $0) } ?? home.appendingPathComponent("traces"),
            maxBytes: max(1, telemetry.traceMaxMb) << 20, keep: max(1, telemetry.traceKeep))
        let settings = OTLPSettings(telemetry: telemetry, environment: ProcessInfo.processInfo.environment)
        var pusher: OTLPPusher?
        if let pushOptions = try settings.pushOptions() {
            let metrics = OTLPMetrics()
            prometheus.alsoRecord(into: metrics)
            pusher = OTLPPusher(options: pushOptions, metrics: metrics, failures: context.failures, logger: logger,
                                onBatch: { signal, result in prometheus.countOTLPBatch(signal: signal, result: result) })
            let signals = [("traces", pushOptions.tracesURL), ("metrics", pushOptions.metricsURL)].compactMap { name, url in url.map { "\(name) to \($0.absoluteString)" } }
            logger.info("pushing OTLP \(signals.joined(separator: ", ")) (\(pushOptions.encoding.rawValue)\(pushOptions.compression == .gzip ? ", gzip" : ""))")
        }
        guard files != nil || pusher != nil else { return nil }
        return TraceExporter(files: files, pusher: pusher, captureContent: telemetry.captureContent,
                             failures: context.failures, resource: try settings.resource())
    }

    /// `run`, but a taken port ends the process with one readable line and exit code 2.
    func runReportingBindFailure(onRunning: @escaping @Sendable (Int) async -> Void) async throws {
        do {
            try await run(onRunning: onRunning)
        } catch let error as ListenerError {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(2)
        }
    }

    func printBanner(port: Int) {
        let base = "http://\(options.host):\(port)"
        var lines = ["ccglass \(CCGlassVersion.current) listening on \(base)", "  dashboard: \(dashboardURL(port: port))"]
        for provider in context.providers.providers {
            lines.append("  \(provider.baseURLVariable)=\(provider.clientBaseURL(listener: base))  → \(provider.upstream.absoluteString)")
        }
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "127.0.0.1" || host == "::1" || host == "localhost" || host.hasPrefix("127.")
    }
}
