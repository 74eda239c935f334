import Foundation
import Proxy

/// The OTLP JSON encoding (opentelemetry-proto, JSON Protobuf Encoding): lowerCamelCase keys, hex ids,
/// 64-bit integers as decimal strings, enums as integers.
enum OTLP {
    struct TracesData: Encodable {
        var resourceSpans: [ResourceSpans]
    }

    struct ResourceSpans: Encodable {
        var resource: Resource
        var scopeSpans: [ScopeSpans]
    }

    struct Resource: Encodable {
        var attributes: [KeyValue]

        init(_ resource: OTelResource) {
            attributes = resource.attributes.map { KeyValue($0.key, .string($0.value)) }
        }
    }

    struct Scope: Encodable {
        var name: String
        var version: String
    }

    struct ScopeSpans: Encodable {
        var scope: Scope
        var spans: [Span]
    }

    struct Span: Encodable {
        var traceId: String
        var spanId: String
        var parentSpanId: String?
        var name: String
        /// 1 INTERNAL, 3 CLIENT.
        var kind: Int
        var startTimeUnixNano: String
        var endTimeUnixNano: String
        var attributes: [KeyValue]
        var status: Status?
    }

    struct Status: Encodable {
        /// 0 UNSET, 1 OK, 2 ERROR.
        var code: Int
        var message: String?
    }

    struct KeyValue: Encodable {
        var key: String
        var value: AnyValue

        init(_ key: String, _ value: AnyValue) {
            self.key = key
            self.value = value
        }
    }

    enum AnyValue: Encodable {
        case string(String)
        case int(Int)
        case double(Double)
        case bool(Bool)
        case array([AnyValue])

        enum CodingKeys: String, CodingKey {
            case stringValue, intValue, doubleValue, boolValue, arrayValue
        }

        struct ArrayValue: Encodable {
            var values: [AnyValue]
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            switch self {
            case .string(let value): try container.encode(value, forKey: .stringValue)
            case .int(let value): try container.encode(String(value), forKey: .intValue)
            case .double(let value): try container.encode(value, forKey: .doubleValue)
            case .bool(let value): try container.encode(value, forKey: .boolValue)
            case .array(let values): try container.encode(ArrayValue(values: values), forKey: .arrayValue)
            }
        }
    }

    // Metrics

    struct MetricsData: Encodable {
        var resourceMetrics: [ResourceMetrics]
    }

    struct ResourceMetrics: Encodable {
        var resource: Resource
        var scopeMetrics: [ScopeMetrics]
    }

    struct ScopeMetrics: Encodable {
        var scope: Scope
        var metrics: [Metric]
    }

    struct Metric: Encodable {
        var name: String
        var description: String
        var unit: String
        var sum: Sum?
        var histogram: Histogram?
    }

    struct Sum: Encodable {
        var dataPoints: [NumberDataPoint]
        /// 2 CUMULATIVE.
        var aggregationTemporality = 2
        var isMonotonic = true
    }

    struct NumberDataPoint: Encodable {
        var attributes: [KeyValue]
        var startTimeUnixNano: String
        var timeUnixNano: String
        var asDouble: Double
    }

    struct Histogram: Encodable {
        var dataPoints: [HistogramDataPoint]
        var aggregationTemporality = 2
    }

    struct HistogramDataPoint: Encodable {
        var attributes: [KeyValue]
        var startTimeUnixNano: String
        var timeUnixNano: String
        var count: String
        var sum: Double
        var bucketCounts: [String]
        var explicitBounds: [Double]
    }

    static func nanos(_ date: Date) -> String {
        String(UInt64(max(0, date.timeIntervalSince1970) * 1_000_000_000))
    }

    static let scope = Scope(name: "ccglass", version: CCGlassVersion.current)

    /// OTLP JSON for trace files and pushes, written directly: `JSONEncoder` costs more than the rest of
    /// the exporter together.
    static func json(_ data: TracesData) -> Data {
        var out = ""
        out.reserveCapacity(2048)
        out += #"{"resourceSpans":["#
        for (r, resourceSpans) in data.resourceSpans.enumerated() {
            if r > 0 { out += "," }
            out += #"{"resource":{"attributes":"#
            write(resourceSpans.resource.attributes, &out)
            out += #"},"scopeSpans":["#
            for (s, scopeSpans) in resourceSpans.scopeSpans.enumerated() {
                if s > 0 { out += "," }
                out += #"{"scope":{"name":"#
                string(scopeSpans.scope.name, &out)
                out += #","version":"#
                string(scopeSpans.scope.version, &out)
                out += #"},"spans":["#
                for (i, span) in scopeSpans.spans.enumerated() {
                    if i > 0 { out += "," }
                    write(span, &out)
                }
                out += "]}"
            }
            out += "]}"
        }
        out += "]}"
        return Data(out.utf8)
    }

    private static func write(_ span: Span, _ out: inout String) {
        out += #"{"traceId":""# + span.traceId + #"","spanId":""# + span.spanId + "\""
        if let parent = span.parentSpanId { out += #","parentSpanId":""# + parent + "\"" }
        out += #","name":"#
        string(span.name, &out)
        out += #","kind":"# + String(span.kind)
        out += #","startTimeUnixNano":""# + span.startTimeUnixNano + #"","endTimeUnixNano":""# + span.endTimeUnixNano + "\""
        out += #","attributes":"#
        write(span.attributes, &out)
        if let status = span.status {
            out += #","status":{"code":"# + String(status.code)
            if let message = status.message {
                out += #","message":"#
                string(message, &out)
            }
            out += "}"
        }
        out += "}"
    }

    private static func write(_ attributes: [KeyValue], _ out: inout String) {
        out += "["
        for (index, attribute) in attributes.enumerated() {
            if index > 0 { out += "," }
            out += #"{"key":"#
            string(attribute.key, &out)
            out += #","value":"#
            write(attribute.value, &out)
            out += "}"
        }
        out += "]"
    }

    private static func write(_ value: AnyValue, _ out: inout String) {
        switch value {
        case .string(let text):
            out += #"{"stringValue":"#
            string(text, &out)
            out += "}"
        case .int(let number): out += #"{"intValue":""# + String(number) + "\"}"
        case .double(let number): out += #"{"doubleValue":"# + (number.isFinite ? String(number) : "0") + "}"
        case .bool(let flag): out += #"{"boolValue":"# + (flag ? "true" : "false") + "}"
        case .array(let values):
            out += #"{"arrayValue":{"values":["#
            for (index, item) in values.enumerated() {
                if index > 0 { out += "," }
                write(item, &out)
            }
            out += "]}}"
        }
    }

    private static func string(_ text: String, _ out: inout String) {
        JSONWriter.quote(text, into: &out)
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()
}

/// Who is sending, on every span and metric, trace files and pushes alike: what lets a team's collector
/// tell each developer's ccglass apart (`host.name`, `user.name`) without a label per session.
package struct OTelResource: Sendable, Equatable {
    package struct Attribute: Sendable, Equatable {
        package var key: String
        package var value: String
    }

    package var attributes: [Attribute]

    /// ccglass's service and version, the machine and the user; then `extra` (OTEL_RESOURCE_ATTRIBUTES,
    /// the flags) adds or overrides, and `serviceName` (OTEL_SERVICE_NAME) wins over both.
    package static func standard(serviceName: String? = nil, extra: [(String, String)] = [],
                                environment: [String: String] = ProcessInfo.processInfo.environment) -> OTelResource {
        var resource = OTelResource(attributes: [
            Attribute(key: "service.name", value: "ccglass"),
            Attribute(key: "service.version", value: CCGlassVersion.current),
            Attribute(key: "telemetry.sdk.language", value: "swift"),
            Attribute(key: "telemetry.sdk.name", value: "ccglass"),
            Attribute(key: "host.name", value: ProcessInfo.processInfo.hostName),
            Attribute(key: "user.name", value: environment["USER"] ?? environment["LOGNAME"] ?? NSUserName()),
        ])
        for (key, value) in extra { resource.set(key, value) }
        if let serviceName, !serviceName.isEmpty { resource.set("service.name", serviceName) }
        return resource
    }

    package mutating func set(_ key: String, _ value: String) {
        if let index = attributes.firstIndex(where: { $0.key == key }) {
            attributes[index].value = value
        } else {
            attributes.append(Attribute(key: key, value: value))
        }
    }

    package func value(_ key: String) -> String? { attributes.first { $0.key == key }?.value }
}
