import Proxy

/// What one finished exchange adds to the metrics: its bounded labels and its values, decided once
/// and recorded into both `/metrics` and the OTLP push, so the two always say the same.
struct ExchangeMeasurement {
    /// The label values of one exchange; all of them bounded (never a session, request or agent id).
    struct Labels: Hashable {
        let operation, provider, otelProvider, requestModel, model, client, statusClass, billing, agentKind, serverAddress: String
        let errorType: String?
    }

    let labels: Labels
    let duration: Double?
    /// Time to first chunk, of a streamed request only (the convention's definition).
    let timeToFirstChunk: Double?
    let overhead: Double?
    /// nil without usage, and for an estimate that knows no input (an interrupted stream's output
    /// count alone would skew the per-operation histograms).
    let usage: Usage?
    /// nil when `usage` is: then it is neither priced nor unpriced.
    let cost: Double?

    init(_ exchange: Exchange, models: LabelLimiter) {
        labels = Labels(operation: exchange.operationName, provider: exchange.provider, otelProvider: exchange.providerOTelName,
                        requestModel: models.value(exchange.request.model), model: models.value(exchange.model),
                        client: exchange.client, statusClass: exchange.statusClass,
                        billing: (exchange.billing ?? .perToken).rawValue, agentKind: exchange.agent == nil ? "main" : "subagent",
                        serverAddress: exchange.serverAddress, errorType: exchange.errorType)
        duration = exchange.timings.end
        timeToFirstChunk = exchange.request.stream == true ? exchange.timings.firstByte : nil
        overhead = exchange.timings.overhead
        if let usage = exchange.usage, !usage.outputEstimated || usage.inputTokens > 0 {
            self.usage = usage
            cost = exchange.cost?.total
        } else {
            usage = nil
            cost = nil
        }
    }

    /// `ccglass_tokens` / `ccglass.tokens` by type: input includes the cache's, reasoning is part of output.
    var tokensByType: [(type: String, count: Int)] {
        guard let usage else { return [] }
        return [("input", usage.inputTokens), ("output", usage.outputTokens), ("cache_read", usage.cacheReadTokens),
                ("cache_write_5m", usage.cacheWrite5mTokens), ("cache_write_1h", usage.cacheWrite1hTokens),
                ("reasoning", usage.reasoningTokens)]
    }

    /// Usage without a price for its model: its cost is missing from the cost sums.
    var unpriced: Bool { usage != nil && cost == nil }
}
