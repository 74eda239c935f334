import Foundation
import Prometheus
import Proxy
import Synchronization

/// Every metric `/metrics` exposes: name, unit suffix and help in one place.
enum MetricNames {
    // Computed: the descriptor type is not Sendable, so it cannot be a shared constant.
    static var duration: MetricNameDescriptor { MetricNameDescriptor(metricName: "gen_ai_client_operation_duration", unitName: "seconds",
                                               helpText: "GenAI operation duration (gen_ai.client.operation.duration).") }
    static var timeToFirstChunk: MetricNameDescriptor { MetricNameDescriptor(metricName: "gen_ai_client_operation_time_to_first_chunk", unitName: "seconds",
                                                       helpText: "Time to the first response chunk of a streamed GenAI operation (gen_ai.client.operation.time_to_first_chunk).") }
    static var tokenUsage: MetricNameDescriptor { MetricNameDescriptor(metricName: "gen_ai_client_token_usage", unitName: "",
                                                 helpText: "Tokens per GenAI operation (gen_ai.client.token.usage); input includes cached tokens.") }
    static var requests: MetricNameDescriptor { MetricNameDescriptor(metricName: "ccglass_requests", unitName: "total",
                                               helpText: "Exchanges through ccglass, by status class (2xx, 4xx, 5xx, error when upstream gave no status).") }
    static var tokens: MetricNameDescriptor { MetricNameDescriptor(metricName: "ccglass_tokens", unitName: "total",
                                             helpText: "Tokens by type. input includes cache_read and cache_write_*; reasoning is part of output.") }
    static var cost: MetricNameDescriptor { MetricNameDescriptor(metricName: "ccglass_cost_usd", unitName: "total", helpText: "Cost in US dollars of priced exchanges; billing=\"subscription\" is signed-in traffic's API-equivalent, not a charge.") }
    static var unpriced: MetricNameDescriptor { MetricNameDescriptor(metricName: "ccglass_unpriced_requests", unitName: "total",
                                               helpText: "Exchanges with usage but no price for their model (their cost is missing from ccglass_cost_usd_total).") }
    static var overhead: MetricNameDescriptor { MetricNameDescriptor(metricName: "ccglass_proxy_overhead", unitName: "seconds",
                                               helpText: "Time ccglass itself added to an exchange: before the request left, and delivering the first chunk.") }
    static var inFlight: MetricNameDescriptor { MetricNameDescriptor(metricName: "ccglass_requests_in_flight", unitName: "", helpText: "Exchanges currently streaming.") }
    static var failures: MetricNameDescriptor { MetricNameDescriptor(metricName: "ccglass_observability_failures", unitName: "total",
                                               helpText: "Failures in ccglass's own recording (parse, bus_drop, store, exporter, decode); forwarding was unaffected.") }
    static var limitUsed: MetricNameDescriptor { MetricNameDescriptor(metricName: "ccglass_ratelimit_utilization", unitName: "ratio",
                                               helpText: "Fraction of a rate-limit window used, as the provider last reported it (can pass 1 on a plan's window).") }
    static var limitReset: MetricNameDescriptor { MetricNameDescriptor(metricName: "ccglass_ratelimit_reset_timestamp", unitName: "seconds",
                                                helpText: "When a rate-limit window resets (Unix time).") }
    static var limitExhaustion: MetricNameDescriptor { MetricNameDescriptor(metricName: "ccglass_ratelimit_projected_exhaustion_timestamp", unitName: "seconds",
                                                     helpText: "When a rate-limit window runs out at the pace of its recent readings (Unix time); 0 when it lasts to its reset or the pace is unknown.") }
    static var limitRejections: MetricNameDescriptor { MetricNameDescriptor(metricName: "ccglass_ratelimit_rejections", unitName: "total",
                                                     helpText: "Requests a rate-limit window refused (a 429, or the provider's rejected status).") }
    static var toolReviews: MetricNameDescriptor { MetricNameDescriptor(metricName: "ccglass_tool_reviews", unitName: "total",
                                                 helpText: "Tool calls auto mode's server-side review judged, by verdict (flagged calls were not run).") }
    static var budgetLimit: MetricNameDescriptor { MetricNameDescriptor(metricName: "ccglass_budget_limit", unitName: "usd",
                                                 helpText: "A budget the user set (config.json or --budget-*), in US dollars; ccglass only watches it.") }
    static var budgetSpent: MetricNameDescriptor { MetricNameDescriptor(metricName: "ccglass_budget_spent", unitName: "usd",
                                                 helpText: "US dollars spent in a budget's period (today, this week from Monday, today's costliest session), signed-in traffic at its API-equivalent.") }
    static var budgetUsed: MetricNameDescriptor { MetricNameDescriptor(metricName: "ccglass_budget_used", unitName: "ratio",
                                                helpText: "Fraction of a budget spent; 1 or more is crossed.") }
    static var otlpBatches: MetricNameDescriptor { MetricNameDescriptor(metricName: "ccglass_otlp_batches", unitName: "total",
                                                  helpText: "OTLP push batches by signal and result; dropped batches were not delivered.") }
}

/// `/metrics`: OpenTelemetry GenAI histograms plus ccglass's own counters, in the Prometheus text format.
/// Labels are bounded: provider, model, client, status class, token type; never a session or request id.
package final class PrometheusExporter: ExchangeSink {
    package var name: String { "prometheus" }
    package var kinds: Set<ExchangeEvent.Kind> { [.started, .finished] }
    package var batchWindow: Duration { .zero }
    package let registry = PrometheusCollectorRegistry()
    /// Model names as labels, bounded (the OTLP push gets the same names: it records the same measurement).
    let models = LabelLimiter(limit: 64)
    /// Rate-limit window names as labels, bounded likewise (providers name their own windows).
    let windows = LabelLimiter(limit: 32)
    private let failures: FailureLog
    /// Each window's readings of its current period, for its pace (a few dozen per window at most).
    private let limitReadings = Mutex<[String: [(at: Date, window: RateLimitWindow)]]>([:])
    private let reportedFailures = Mutex<[FailureLog.Kind: Int]>([:])
    /// The budgets to show and the history that knows what was spent (by every ccglass process).
    private let budgets = Mutex<(Budgets, HistoryStore)?>(nil)

    package init(failures: FailureLog) {
        self.failures = failures
        // Series that exist before any traffic, so dashboards and alerts have something to read.
        for kind in FailureLog.Kind.allCases { failureCounter(kind).increment(by: Int64(0)) }
        for provider in Provider.presets { inFlight(provider.name).set(Double(0)) }
    }

    /// Counts every event as it comes: no batching window, so `/metrics` is current.
    package func consume(_ batch: [ExchangeEvent]) async {
        for event in batch {
            switch event {
            case .started(let exchange): inFlight(exchange.provider).increment()
            case .updated: break
            case .finished(let exchange):
                inFlight(exchange.provider).decrement()
                record(exchange)
            }
        }
    }

    /// Exposes `budgets`' state, read from `history` at each render.
    package func watch(_ budgets: Budgets, history: HistoryStore) {
        guard !budgets.isEmpty else { return }
        self.budgets.withLock { $0 = (budgets, history) }
    }

    /// The exposition text, failure counters and budgets brought up to date first. Budgets read the
    /// history: call it off the forwarding loops.
    package func render(now: Date = Date()) -> String {
        if let watched = budgets.withLock({ $0 }) {
            do {
                let states = try watched.1.budgetStates(watched.0, now: now)
                for period in BudgetState.Period.allCases {
                    guard let limit = watched.0[period] else { continue }
                    // No session today is a session budget with nothing spent.
                    let state = states.first { $0.period == period }
                    let labels = [("budget", period.rawValue)]
                    registry.makeGauge(descriptor: MetricNames.budgetLimit, labels: labels).set(limit)
                    registry.makeGauge(descriptor: MetricNames.budgetSpent, labels: labels).set(state?.spentUSD ?? 0)
                    registry.makeGauge(descriptor: MetricNames.budgetUsed, labels: labels).set(state?.used ?? 0)
                }
            } catch {
                failures.record(.store, "cannot read the budgets' spending from the history: \(error)")
            }
        }
        let current = failures.snapshot
        reportedFailures.withLock { reported in
            for (kind, count) in current where count > reported[kind, default: 0] {
                failureCounter(kind).increment(by: Int64(count - reported[kind, default: 0]))
                reported[kind] = count
            }
        }
        return registry.emitToString()
    }

    /// Every metric one label combination touches, looked up in the registry once.
    private struct Series {
        let duration, timeToFirstChunk, inputTokenUsage, outputTokenUsage, overhead: ValueHistogram
        let requests, cost, unpriced: Counter
        let tokens: [String: Counter]

        init(_ key: ExchangeMeasurement.Labels, _ registry: PrometheusCollectorRegistry) {
            let genAI = [("gen_ai_operation_name", key.operation), ("gen_ai_provider_name", key.otelProvider),
                         ("gen_ai_request_model", key.requestModel), ("gen_ai_response_model", key.model)]
            duration = registry.makeValueHistogram(descriptor: MetricNames.duration,
                                                   labels: genAI + (key.errorType.map { [("error_type", $0)] } ?? []),
                                                   buckets: GenAI.durationBuckets)
            timeToFirstChunk = registry.makeValueHistogram(descriptor: MetricNames.timeToFirstChunk, labels: genAI, buckets: GenAI.durationBuckets)
            inputTokenUsage = registry.makeValueHistogram(descriptor: MetricNames.tokenUsage, labels: genAI + [("gen_ai_token_type", "input")],
                                                          buckets: GenAI.tokenBuckets)
            outputTokenUsage = registry.makeValueHistogram(descriptor: MetricNames.tokenUsage, labels: genAI + [("gen_ai_token_type", "output")],
                                                           buckets: GenAI.tokenBuckets)
            overhead = registry.makeValueHistogram(descriptor: MetricNames.overhead, labels: [("provider", key.provider)],
                                                   buckets: GenAI.overheadBuckets)
            let traffic = [("provider", key.provider), ("model", key.model), ("client", key.client)]
            // `agent_kind`: main or subagent (Claude Code's), never the subagent's id.
            requests = registry.makeCounter(descriptor: MetricNames.requests, labels: traffic + [("status_class", key.statusClass), ("agent_kind", key.agentKind)])
            // `billing="subscription"`: what signed-in traffic would cost on the API, not a charge.
            cost = registry.makeCounter(descriptor: MetricNames.cost, labels: traffic + [("billing", key.billing), ("agent_kind", key.agentKind)])
            unpriced = registry.makeCounter(descriptor: MetricNames.unpriced, labels: [("provider", key.provider), ("model", key.model)])
            tokens = Dictionary(uniqueKeysWithValues: ["input", "output", "cache_read", "cache_write_5m", "cache_write_1h", "reasoning"].map {
                ($0, registry.makeCounter(descriptor: MetricNames.tokens, labels: traffic + [("type", $0), ("agent_kind", key.agentKind)]))
            })
        }
    }

    private let series = Mutex<[ExchangeMeasurement.Labels: Series]>([:])
    /// The OTLP push's metrics, when there is a push: recorded from the same measurement.
    private let pushed = Mutex<OTLPMetrics?>(nil)

    /// Records every exchange into `metrics` too, for the OTLP push.
    package func alsoRecord(into metrics: OTLPMetrics) {
        pushed.withLock { $0 = metrics }
    }

    func record(_ exchange: Exchange) {
        let measurement = ExchangeMeasurement(exchange, models: models)
        pushed.withLock { $0 }?.record(measurement)
        let metrics = series.withLock { cache in
            if let found = cache[measurement.labels] { return found }
            let made = Series(measurement.labels, registry)
            cache[measurement.labels] = made
            return made
        }
        if let duration = measurement.duration { metrics.duration.record(duration) }
        if let ttft = measurement.timeToFirstChunk { metrics.timeToFirstChunk.record(ttft) }
        metrics.requests.increment()
        if let overhead = measurement.overhead { metrics.overhead.record(overhead) }
        if let reading = exchange.rateLimits { record(reading, of: exchange) }
        for call in exchange.response.toolCalls {
            guard let review = call.review else { continue }
            registry.makeCounter(descriptor: MetricNames.toolReviews, labels: [("provider", exchange.provider), ("verdict", review.verdict.rawValue)])
                .increment()
        }
        guard let usage = measurement.usage else { return }
        metrics.inputTokenUsage.record(Double(usage.inputTokens))
        metrics.outputTokenUsage.record(Double(usage.outputTokens))
        for (type, count) in measurement.tokensByType { metrics.tokens[type]?.increment(by: Int64(count)) }
        if let cost = measurement.cost {
            metrics.cost.increment(by: cost)
        } else {
            metrics.unpriced.increment()
        }
    }

    /// One window's series, looked up in the registry once.
    private struct WindowSeries {
        let used, reset, exhaustion: Gauge
        let rejections: Counter
    }

    private let windowSeries = Mutex<[String: WindowSeries]>([:])

    /// The latest reading of each window (labelled by provider and window, never the account), its
    /// projected exhaustion, and refusals.
    func record(_ reading: RateLimitReading, of exchange: Exchange) {
        let at = exchange.respondedAt
        for window in reading.windows {
            let name = windows.value(window.name)
            let key = "\(exchange.provider)|\(name)"
            let series = windowSeries.withLock { cache in
                if let found = cache[key] { return found }
                let labels = [("provider", exchange.provider), ("window", name)]
                let made = WindowSeries(used: registry.makeGauge(descriptor: MetricNames.limitUsed, labels: labels),
                                        reset: registry.makeGauge(descriptor: MetricNames.limitReset, labels: labels),
                                        exhaustion: registry.makeGauge(descriptor: MetricNames.limitExhaustion, labels: labels),
                                        rejections: registry.makeCounter(descriptor: MetricNames.limitRejections, labels: labels))
                cache[key] = made
                return made
            }
            if let used = window.used { series.used.set(used) }
            if let reset = window.resetsAt { series.reset.set(reset.timeIntervalSince1970) }
            if reading.refused(by: window, status: exchange.status) { series.rejections.increment() }
            let readings = limitReadings.withLock { all -> [(at: Date, window: RateLimitWindow)] in
                var list = (all[key] ?? []).filter { Projection.sameReset($0.window.resetsAt, window.resetsAt) } + [(at, window)]
                if list.count > 64 { list.removeFirst(list.count - 64) }
                all[key] = list
                return list
            }
            let projection = Projection.of(readings: readings, now: at)
            series.exhaustion.set(projection.kind == .runsOut ? projection.exhaustsAt!.timeIntervalSince1970 : projection.kind == .exhausted ? at.timeIntervalSince1970 : 0)
        }
    }

    /// Counts an OTLP push batch by signal (traces, metrics) and result (sent, retried, dropped).
    package func countOTLPBatch(signal: String, result: OTLPPusher.BatchResult) {
        registry.makeCounter(descriptor: MetricNames.otlpBatches, labels: [("signal", signal), ("result", result.rawValue)])
            .increment()
    }

    private func inFlight(_ provider: String) -> Gauge {
        registry.makeGauge(descriptor: MetricNames.inFlight, labels: [("provider", provider)])
    }

    private func failureCounter(_ kind: FailureLog.Kind) -> Counter {
        registry.makeCounter(descriptor: MetricNames.failures, labels: [("kind", kind.rawValue)])
    }
}
