import Foundation
import OTLPProto
import Proxy
import SwiftProtobuf

/// OTLP/HTTP's default encoding: the model the JSON files are written from, as opentelemetry-proto's
/// messages (generated into Sources/OTLPProto). Ids go as their bytes; the JSON files keep them as hex.
extension OTLP {
    typealias TraceRequest = Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest
    typealias TraceResponse = Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceResponse
    typealias MetricsRequest = Opentelemetry_Proto_Collector_Metrics_V1_ExportMetricsServiceRequest
    typealias MetricsResponse = Opentelemetry_Proto_Collector_Metrics_V1_ExportMetricsServiceResponse

    static func protobuf(_ data: TracesData) throws -> Data {
        var request = TraceRequest()
        request.resourceSpans = data.resourceSpans.map { resourceSpans in
            var out = Opentelemetry_Proto_Trace_V1_ResourceSpans()
            out.resource = resource(resourceSpans.resource)
            out.scopeSpans = resourceSpans.scopeSpans.map { scopeSpans in
                var scoped = Opentelemetry_Proto_Trace_V1_ScopeSpans()
                scoped.scope = scope(scopeSpans.scope)
                scoped.spans = scopeSpans.spans.map(span)
                return scoped
            }
            return out
        }
        return try request.serializedData()
    }

    static func protobuf(_ data: MetricsData) throws -> Data {
        var request = MetricsRequest()
        request.resourceMetrics = data.resourceMetrics.map { resourceMetrics in
            var out = Opentelemetry_Proto_Metrics_V1_ResourceMetrics()
            out.resource = resource(resourceMetrics.resource)
            out.scopeMetrics = resourceMetrics.scopeMetrics.map { scopeMetrics in
                var scoped = Opentelemetry_Proto_Metrics_V1_ScopeMetrics()
                scoped.scope = scope(scopeMetrics.scope)
                scoped.metrics = scopeMetrics.metrics.map(metric)
                return scoped
            }
            return out
        }
        return try request.serializedData()
    }

    /// What a receiver said it rejected of an accepted export (`partial_success`), if anything.
    static func partialSuccess(signal: String, body: Data, protobuf: Bool) -> String? {
        let rejected: Int64, message: String
        if protobuf {
            if signal == "traces", let response = try? TraceResponse(serializedBytes: body), response.hasPartialSuccess {
                (rejected, message) = (response.partialSuccess.rejectedSpans, response.partialSuccess.errorMessage)
            } else if signal == "metrics", let response = try? MetricsResponse(serializedBytes: body), response.hasPartialSuccess {
                (rejected, message) = (response.partialSuccess.rejectedDataPoints, response.partialSuccess.errorMessage)
            } else {
                return nil
            }
        } else {
            guard let partial = (try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["partialSuccess"] as? [String: Any] else { return nil }
            let count = partial["rejectedSpans"] ?? partial["rejectedDataPoints"]
            rejected = (count as? String).flatMap { Int64($0) } ?? (count as? NSNumber)?.int64Value ?? 0
            message = partial["errorMessage"] as? String ?? ""
        }
        guard rejected > 0 || !message.isEmpty else { return nil }
        return "\(rejected) rejected" + (message.isEmpty ? "" : ": \(message)")
    }

    private static func resource(_ resource: Resource) -> Opentelemetry_Proto_Resource_V1_Resource {
        var out = Opentelemetry_Proto_Resource_V1_Resource()
        out.attributes = resource.attributes.map(keyValue)
        return out
    }

    private static func scope(_ scope: Scope) -> Opentelemetry_Proto_Common_V1_InstrumentationScope {
        var out = Opentelemetry_Proto_Common_V1_InstrumentationScope()
        out.name = scope.name
        out.version = scope.version
        return out
    }

    private static func span(_ span: Span) -> Opentelemetry_Proto_Trace_V1_Span {
        var out = Opentelemetry_Proto_Trace_V1_Span()
        out.traceID = Hex.data(span.traceId)
        out.spanID = Hex.data(span.spanId)
        if let parent = span.parentSpanId { out.parentSpanID = Hex.data(parent) }
        out.name = span.name
        out.kind = Opentelemetry_Proto_Trace_V1_Span.SpanKind(rawValue: span.kind) ?? .unspecified
        out.startTimeUnixNano = UInt64(span.startTimeUnixNano) ?? 0
        out.endTimeUnixNano = UInt64(span.endTimeUnixNano) ?? 0
        out.attributes = span.attributes.map(keyValue)
        if let status = span.status {
            out.status.code = Opentelemetry_Proto_Trace_V1_Status.StatusCode(rawValue: status.code) ?? .unset
            out.status.message = status.message ?? ""
        }
        return out
    }

    private static func metric(_ metric: Metric) -> Opentelemetry_Proto_Metrics_V1_Metric {
        var out = Opentelemetry_Proto_Metrics_V1_Metric()
        out.name = metric.name
        out.description_p = metric.description
        out.unit = metric.unit
        if let sum = metric.sum {
            var data = Opentelemetry_Proto_Metrics_V1_Sum()
            data.aggregationTemporality = Opentelemetry_Proto_Metrics_V1_AggregationTemporality(rawValue: sum.aggregationTemporality) ?? .cumulative
            data.isMonotonic = sum.isMonotonic
            data.dataPoints = sum.dataPoints.map { point in
                var out = Opentelemetry_Proto_Metrics_V1_NumberDataPoint()
                out.attributes = point.attributes.map(keyValue)
                out.startTimeUnixNano = UInt64(point.startTimeUnixNano) ?? 0
                out.timeUnixNano = UInt64(point.timeUnixNano) ?? 0
                out.asDouble = point.asDouble
                return out
            }
            out.sum = data
        }
        if let histogram = metric.histogram {
            var data = Opentelemetry_Proto_Metrics_V1_Histogram()
            data.aggregationTemporality = Opentelemetry_Proto_Metrics_V1_AggregationTemporality(rawValue: histogram.aggregationTemporality) ?? .cumulative
            data.dataPoints = histogram.dataPoints.map { point in
                var out = Opentelemetry_Proto_Metrics_V1_HistogramDataPoint()
                out.attributes = point.attributes.map(keyValue)
                out.startTimeUnixNano = UInt64(point.startTimeUnixNano) ?? 0
                out.timeUnixNano = UInt64(point.timeUnixNano) ?? 0
                out.count = UInt64(point.count) ?? 0
                out.sum = point.sum
                out.bucketCounts = point.bucketCounts.map { UInt64($0) ?? 0 }
                out.explicitBounds = point.explicitBounds
                return out
            }
            out.histogram = data
        }
        return out
    }

    private static func keyValue(_ pair: KeyValue) -> Opentelemetry_Proto_Common_V1_KeyValue {
        var out = Opentelemetry_Proto_Common_V1_KeyValue()
        out.key = pair.key
        out.value = anyValue(pair.value)
        return out
    }

    private static func anyValue(_ value: AnyValue) -> Opentelemetry_Proto_Common_V1_AnyValue {
        var out = Opentelemetry_Proto_Common_V1_AnyValue()
        switch value {
        case .string(let text): out.stringValue = text
        case .int(let number): out.intValue = Int64(number)
        case .double(let number): out.doubleValue = number
        case .bool(let flag): out.boolValue = flag
        case .array(let values):
            var array = Opentelemetry_Proto_Common_V1_ArrayValue()
            array.values = values.map(anyValue)
            out.arrayValue = array
        }
        return out
    }
}

/// `scripts/fuzz otlpresponse`: a receiver's answer, read as the pusher reads it, for both signals and
/// both encodings.
package enum OTLPResponseFuzz {
    package static func run(_ bytes: [UInt8]) {
        let body = Data(bytes)
        for signal in ["traces", "metrics"] {
            for protobuf in [true, false] { _ = OTLP.partialSuccess(signal: signal, body: body, protobuf: protobuf) }
        }
        _ = OTLPPusher.retryAfter(String(decoding: bytes.prefix(64), as: UTF8.self))
    }
}
