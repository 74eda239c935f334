import ArgumentParser
import Exporters
import Foundation

/// Where and how to push OTLP, from the flags and the variables every OpenTelemetry SDK (and Claude
/// Code's own telemetry) reads: `OTEL_EXPORTER_OTLP_ENDPOINT`, `…_{TRACES,METRICS}_ENDPOINT`, `…_HEADERS`,
/// `…_PROTOCOL`, `…_COMPRESSION`, `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`, and
/// `OTEL_{TRACES,METRICS}_EXPORTER=none`. A flag wins over its variable.
struct OTLPSettings {
    let telemetry: TelemetryOptions
    let environment: [String: String]

    func variable(_ name: String) -> String? {
        environment[name].map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Who is sending: on every span and metric, in files and pushes.
    func resource() throws -> OTelResource {
        let fromVariable = try Self.list(variable("OTEL_RESOURCE_ATTRIBUTES"), name: "OTEL_RESOURCE_ATTRIBUTES")
        let fromFlags = try TelemetryOptions.pairs(telemetry.otlpResourceAttributes, flag: "otlp-resource-attribute")
        let serviceName = fromFlags.last { $0.0 == "service.name" }?.1 ?? variable("OTEL_SERVICE_NAME")
        return OTelResource.standard(serviceName: serviceName, extra: fromVariable + fromFlags, environment: environment)
    }

    /// The push options, or nil when no endpoint is set for either signal.
    func pushOptions() throws -> OTLPPusher.Options? {
        let flagBase = try url(telemetry.otlpEndpoint, "--otlp-endpoint")
        let variableBase = try url(variable("OTEL_EXPORTER_OTLP_ENDPOINT"), "OTEL_EXPORTER_OTLP_ENDPOINT")
        // A flag first, then the signal's own variable, then the base; `OTEL_<SIGNAL>_EXPORTER=none`
        // silences the variables, not a flag.
        func signal(_ name: String, flag: String?) throws -> URL? {
            if let given = try url(flag, "--otlp-\(name)-endpoint") { return given }
            if let flagBase { return OTLPPusher.Options.signalURL(flagBase, name) }
            let upper = name.uppercased()
            if variable("OTEL_\(upper)_EXPORTER") == "none" { return nil }
            if let given = try url(variable("OTEL_EXPORTER_OTLP_\(upper)_ENDPOINT"), "OTEL_EXPORTER_OTLP_\(upper)_ENDPOINT") { return given }
            return variableBase.map { OTLPPusher.Options.signalURL($0, name) }
        }
        let traces = try signal("traces", flag: telemetry.otlpTracesEndpoint)
        let metrics = try signal("metrics", flag: telemetry.otlpMetricsEndpoint)
        guard traces != nil || metrics != nil else { return nil }
        var headers = try Self.list(variable("OTEL_EXPORTER_OTLP_HEADERS"), name: "OTEL_EXPORTER_OTLP_HEADERS")
        for (name, value) in try TelemetryOptions.pairs(telemetry.otlpHeaders, flag: "otlp-header") {
            headers.removeAll { $0.0.lowercased() == name.lowercased() }
            headers.append((name, value))
        }
        var options = OTLPPusher.Options(tracesURL: traces, metricsURL: metrics, headers: headers)
        let encoding = telemetry.otlpProtocol ?? variable("OTEL_EXPORTER_OTLP_PROTOCOL") ?? OTLPPusher.Options.Encoding.protobuf.rawValue
        guard let known = OTLPPusher.Options.Encoding(rawValue: encoding) else {
            throw ValidationError(encoding == "grpc"
                ? "ccglass pushes OTLP over HTTP (port 4318), not gRPC: use http/protobuf (--otlp-protocol, OTEL_EXPORTER_OTLP_PROTOCOL)"
                : "OTLP protocol '\(encoding)' is not http/protobuf or http/json")
        }
        options.encoding = known
        let compression = telemetry.otlpCompression ?? variable("OTEL_EXPORTER_OTLP_COMPRESSION") ?? "none"
        guard let chosen = OTLPPusher.Options.Compression(rawValue: compression) else {
            throw ValidationError("OTLP compression '\(compression)' is not gzip or none")
        }
        options.compression = chosen
        options.resource = try resource()
        options.flushInterval = .milliseconds(max(10, telemetry.otlpFlushMs))
        options.metricsInterval = .seconds(max(1, telemetry.otlpMetricsSeconds))
        options.drainTimeout = .milliseconds(Int(max(0, telemetry.otlpDrainSeconds) * 1000))
        return options
    }

    private func url(_ text: String?, _ name: String) throws -> URL? {
        guard let text else { return nil }
        guard let url = URL(string: text), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw ValidationError("\(name) must be an http(s) URL, e.g. http://127.0.0.1:4318 (got '\(text)')")
        }
        return url
    }

    /// `key=value,key2=value2`, values percent-decoded, as the OpenTelemetry spec writes both variables.
    static func list(_ text: String?, name: String) throws -> [(String, String)] {
        guard let text else { return [] }
        return try text.split(separator: ",").compactMap { item in
            let trimmed = item.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { return nil }
            guard let eq = trimmed.firstIndex(of: "="), eq != trimmed.startIndex else {
                throw ValidationError("\(name): '\(trimmed.prefix(40))' is not key=value")
            }
            let key = trimmed[..<eq].trimmingCharacters(in: .whitespaces)
            let value = String(trimmed[trimmed.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
            return (key.removingPercentEncoding ?? key, value.removingPercentEncoding ?? value)
        }
    }
}
