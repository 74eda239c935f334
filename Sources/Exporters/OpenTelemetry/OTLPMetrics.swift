import Foundation
import Proxy

/// Cumulative GenAI metrics for OTLP push (Prometheus has its own registry): the spec's histograms and
/// ccglass's token, cost and request sums. Owned by one exporter task.
struct OTLPMetrics {
    private struct Key: Hashable {
        let name: String
        let attributes: [String: String]
    }

    private struct HistogramState {
        var bounds: [Double]
        var counts: [UInt64]
        var sum = 0.0
        var count: UInt64 = 0
    }

    /// Model names, bounded as on `/metrics` (a client inventing names cannot grow the series).
    let models: LabelLimiter
    private var histograms: [Key: HistogramState] = [:]
    private var sums: [Key: Double] = [:]
    private let start = Date()

    init(models: LabelLimiter) {
        self.models = models
    }

    static let descriptions: [String: (unit: String, text: String)] = [
        "gen_ai.client.token.usage": ("{token}", "Tokens per GenAI operation; input includes cached tokens."),
        "gen_ai.client.operation.duration": ("s", "GenAI operation duration."),
        "gen_ai.client.operation.time_to_first_chunk": ("s", "Time to the first chunk of a streamed GenAI operation."),
        "ccglass.tokens": ("{token}", "Tokens by type; input includes cache reads and writes."),
        "ccglass.cost": ("USD", "Cost of priced exchanges; billing=subscription is signed-in traffic's API-equivalent."),
        "ccglass.requests": ("{request}", "Exchanges by status class."),
    ]

    mutating func record(_ exchange: Exchange) {
        var base = ["gen_ai.operation.name": exchange.operationName, "gen_ai.provider.name": exchange.providerOTelName,
                    "gen_ai.request.model": models.value(exchange.request.model), "gen_ai.response.model": models.value(exchange.model),
                    "server.address": exchange.serverAddress]
        var duration = base
        if let error = exchange.errorType { duration["error.type"] = error }
        if let end = exchange.timings.end { observe("gen_ai.client.operation.duration", duration, end, GenAI.durationBuckets) }
        if exchange.request.stream == true, let ttft = exchange.timings.firstByte {
            observe("gen_ai.client.operation.time_to_first_chunk", base, ttft, GenAI.durationBuckets)
        }
        add("ccglass.requests", ["provider": exchange.provider, "client": exchange.client, "status_class": exchange.statusClass], 1)
        guard let usage = exchange.usage else { return }
        for (type, count) in [("input", usage.inputTokens), ("output", usage.outputTokens)] {
            base["gen_ai.token.type"] = type
            observe("gen_ai.client.token.usage", base, Double(count), GenAI.tokenBuckets)
        }
        for (type, count) in [("input", usage.inputTokens), ("output", usage.outputTokens), ("cache_read", usage.cacheReadTokens),
                              ("cache_write_5m", usage.cacheWrite5mTokens), ("cache_write_1h", usage.cacheWrite1hTokens),
                              ("reasoning", usage.reasoningTokens)] {
            add("ccglass.tokens", ["provider": exchange.provider, "model": models.value(exchange.model), "type": type], Double(count))
        }
        if let cost = exchange.cost {
            add("ccglass.cost", ["provider": exchange.provider, "model": models.value(exchange.model),
                                 "billing": (exchange.billing ?? .perToken).rawValue], cost.total)
        }
    }

    private mutating func observe(_ name: String, _ attributes: [String: String], _ value: Double, _ bounds: [Double]) {
        let key = Key(name: name, attributes: attributes)
        var state = histograms[key] ?? HistogramState(bounds: bounds, counts: Array(repeating: 0, count: bounds.count + 1))
        state.counts[bounds.firstIndex { value <= $0 } ?? bounds.count] += 1
        state.sum += value
        state.count += 1
        histograms[key] = state
    }

    private mutating func add(_ name: String, _ attributes: [String: String], _ value: Double) {
        sums[Key(name: name, attributes: attributes), default: 0] += value
    }

    var isEmpty: Bool { histograms.isEmpty && sums.isEmpty }

    /// Everything so far, cumulative since start.
    func snapshot(resource: OTelResource, now: Date = Date()) -> OTLP.MetricsData {
        let startNanos = OTLP.nanos(start), nowNanos = OTLP.nanos(now)
        func attributes(_ map: [String: String]) -> [OTLP.KeyValue] {
            map.sorted { $0.key < $1.key }.map { OTLP.KeyValue($0.key, .string($0.value)) }
        }
        var metrics: [OTLP.Metric] = []
        for name in Set(histograms.keys.map(\.name)).sorted() {
            let points = histograms.filter { $0.key.name == name }.map { key, state in
                OTLP.HistogramDataPoint(attributes: attributes(key.attributes), startTimeUnixNano: startNanos, timeUnixNano: nowNanos,
                                        count: String(state.count), sum: state.sum, bucketCounts: state.counts.map(String.init),
                                        explicitBounds: state.bounds)
            }
            let info = Self.descriptions[name]!
            metrics.append(OTLP.Metric(name: name, description: info.text, unit: info.unit, histogram: OTLP.Histogram(dataPoints: points)))
        }
        for name in Set(sums.keys.map(\.name)).sorted() {
            let points = sums.filter { $0.key.name == name }.map { key, value in
                OTLP.NumberDataPoint(attributes: attributes(key.attributes), startTimeUnixNano: startNanos, timeUnixNano: nowNanos, asDouble: value)
            }
            let info = Self.descriptions[name]!
            metrics.append(OTLP.Metric(name: name, description: info.text, unit: info.unit, sum: OTLP.Sum(dataPoints: points)))
        }
        return OTLP.MetricsData(resourceMetrics: [OTLP.ResourceMetrics(resource: OTLP.Resource(resource), scopeMetrics: [
            OTLP.ScopeMetrics(scope: OTLP.scope, metrics: metrics),
        ])])
    }
}
