import Foundation
import Proxy
import Synchronization

/// Cumulative metrics for OTLP push: the GenAI histograms and ccglass's sums, fed by the same
/// measurement as `/metrics` (`PrometheusExporter` records into it), so the collector and a scrape agree.
package final class OTLPMetrics: Sendable {
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

    private struct State {
        var histograms: [Key: HistogramState] = [:]
        var sums: [Key: Double] = [:]

        mutating func observe(_ name: String, _ attributes: [String: String], _ value: Double, _ bounds: [Double]) {
            let key = Key(name: name, attributes: attributes)
            var state = histograms[key] ?? HistogramState(bounds: bounds, counts: Array(repeating: 0, count: bounds.count + 1))
            state.counts[bounds.firstIndex { value <= $0 } ?? bounds.count] += 1
            state.sum += value
            state.count += 1
            histograms[key] = state
        }

        mutating func add(_ name: String, _ attributes: [String: String], _ value: Double) {
            sums[Key(name: name, attributes: attributes), default: 0] += value
        }
    }

    private let state = Mutex(State())
    private let start = Date()

    package init() {}

    static let descriptions: [String: (unit: String, text: String)] = [
        "gen_ai.client.token.usage": ("{token}", "Tokens per GenAI operation; input includes cached tokens."),
        "gen_ai.client.operation.duration": ("s", "GenAI operation duration."),
        "gen_ai.client.operation.time_to_first_chunk": ("s", "Time to the first chunk of a streamed GenAI operation."),
        "ccglass.proxy.overhead": ("s", "Time ccglass itself added to an exchange: before the request left, and delivering the first chunk."),
        "ccglass.tokens": ("{token}", "Tokens by type; input includes cache reads and writes."),
        "ccglass.cost": ("USD", "Cost of priced exchanges; billing=subscription is signed-in traffic's API-equivalent."),
        "ccglass.requests": ("{request}", "Exchanges by status class."),
        "ccglass.unpriced_requests": ("{request}", "Exchanges with usage but no price for their model."),
    ]

    /// The same series as `/metrics`, under OpenTelemetry's attribute names.
    func record(_ measurement: ExchangeMeasurement) {
        let labels = measurement.labels
        let genAI = [GenAI.operationName: labels.operation, GenAI.providerName: labels.otelProvider,
                     GenAI.requestModel: labels.requestModel, GenAI.responseModel: labels.model,
                     GenAI.serverAddress: labels.serverAddress]
        let traffic = ["provider": labels.provider, "model": labels.model, "client": labels.client, "agent_kind": labels.agentKind]
        state.withLock { state in
            if let duration = measurement.duration {
                var attributes = genAI
                if let error = labels.errorType { attributes[GenAI.errorType] = error }
                state.observe("gen_ai.client.operation.duration", attributes, duration, GenAI.durationBuckets)
            }
            if let ttft = measurement.timeToFirstChunk {
                state.observe("gen_ai.client.operation.time_to_first_chunk", genAI, ttft, GenAI.durationBuckets)
            }
            if let overhead = measurement.overhead {
                state.observe("ccglass.proxy.overhead", ["provider": labels.provider], overhead, GenAI.overheadBuckets)
            }
            state.add("ccglass.requests", traffic.merging(["status_class": labels.statusClass]) { $1 }, 1)
            guard let usage = measurement.usage else { return }
            for (type, count) in [("input", usage.inputTokens), ("output", usage.outputTokens)] {
                state.observe("gen_ai.client.token.usage", genAI.merging([GenAI.tokenType: type]) { $1 }, Double(count), GenAI.tokenBuckets)
            }
            for (type, count) in measurement.tokensByType {
                state.add("ccglass.tokens", traffic.merging(["type": type]) { $1 }, Double(count))
            }
            if let cost = measurement.cost {
                state.add("ccglass.cost", traffic.merging(["billing": labels.billing]) { $1 }, cost)
            } else {
                state.add("ccglass.unpriced_requests", ["provider": labels.provider, "model": labels.model], 1)
            }
        }
    }

    var isEmpty: Bool { state.withLock { $0.histograms.isEmpty && $0.sums.isEmpty } }

    /// Everything so far, cumulative since start.
    func snapshot(resource: OTelResource, now: Date = Date()) -> OTLP.MetricsData {
        let (histograms, sums) = state.withLock { ($0.histograms, $0.sums) }
        let startNanos = OTLP.nanos(start), nowNanos = OTLP.nanos(now)
        func attributes(_ map: [String: String]) -> [OTLP.KeyValue] {
            map.sorted { $0.key < $1.key }.map { OTLP.KeyValue($0.key, .string($0.value)) }
        }
        var metrics: [OTLP.Metric] = []
        for (name, points) in Dictionary(grouping: histograms, by: \.key.name).sorted(by: { $0.key < $1.key }) {
            let points = points.map { key, state in
                OTLP.HistogramDataPoint(attributes: attributes(key.attributes), startTimeUnixNano: startNanos, timeUnixNano: nowNanos,
                                        count: String(state.count), sum: state.sum, bucketCounts: state.counts.map(String.init),
                                        explicitBounds: state.bounds)
            }
            let info = Self.descriptions[name]!
            metrics.append(OTLP.Metric(name: name, description: info.text, unit: info.unit, histogram: OTLP.Histogram(dataPoints: points)))
        }
        for (name, points) in Dictionary(grouping: sums, by: \.key.name).sorted(by: { $0.key < $1.key }) {
            let points = points.map { key, value in
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
