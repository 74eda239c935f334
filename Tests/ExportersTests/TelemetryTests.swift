import Foundation
import Logging
import Proxy
import Testing
@testable import Exporters
import OTLPProto

@Suite(.temporaryFolder) struct TraceFileWriterTests {
    @Test func rotatesBySizeAndKeepsTheNewestFiles() throws {
        let directory = try TemporaryFolder.path("traces")
        let writer = TraceFileWriter(directory: directory, maxBytes: 100, keep: 3)
        for i in 0..<20 {
            try writer.append(Data(String(repeating: "\(i % 10)", count: 40).utf8))
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(files.count == 3)
        #expect(files.contains(writer.currentFile().lastPathComponent))
        for file in files {
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            #expect(text.utf8.count <= 100)
            #expect(text.split(separator: "\n").allSatisfy { $0.count == 40 })
        }
    }
}

@Suite struct SpanBuilderTests {
    func exchange(session: String?, toolCalls: [ToolCall] = [], answering: [String] = [], at start: Date) -> Exchange {
        var e = StoreFixtures.exchange(body: Data("{}".utf8), session: session, at: start)
        e.request.model = "claude-sonnet-4-5"
        e.response.toolCalls = toolCalls
        e.request.toolResultIDs = answering
        e.timings.end = 2
        return e
    }

    @Test func toolCallBecomesAnExecuteToolSpanBetweenTheTwoExchanges() throws {
        var builder = SpanBuilder()
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let first = exchange(session: "s", toolCalls: [ToolCall(id: "toolu_1", name: "Read", arguments: "{}")], at: t0)
        let second = exchange(session: "s", answering: ["toolu_1"], at: t0.addingTimeInterval(5))
        let a = builder.spans(for: first)
        let b = builder.spans(for: second)
        #expect(a.count == 1 && b.count == 2)
        let tool = b[1]
        #expect(tool.name == "execute_tool Read" && tool.kind == 1)
        #expect(tool.parentSpanId == a[0].spanId && tool.traceId == a[0].traceId && b[0].traceId == a[0].traceId)
        #expect(tool.startTimeUnixNano == a[0].endTimeUnixNano)
        #expect(tool.endTimeUnixNano == OTLP.nanos(t0.addingTimeInterval(5)))
        // Answered once: a later exchange resending the same result adds no second span.
        #expect(builder.spans(for: exchange(session: "s", answering: ["toolu_1"], at: t0.addingTimeInterval(9))).count == 1)
    }

    @Test func sessionlessExchangesGetTheirOwnTraces() {
        var builder = SpanBuilder()
        let a = builder.spans(for: exchange(session: nil, at: Date()))[0]
        let b = builder.spans(for: exchange(session: nil, at: Date()))[0]
        #expect(a.traceId != b.traceId)
        #expect(a.traceId.count == 32 && a.spanId.count == 16)
        #expect(a.traceId.allSatisfy { $0.isHexDigit })
    }

    /// The protobuf push carries what the JSON files say: ids as their bytes, times, kind, attributes
    /// of every type, status, and the resource.
    @Test func otlpProtobufCarriesTheSameSpan() throws {
        var builder = SpanBuilder()
        var span = builder.spans(for: exchange(session: "s", at: Date(timeIntervalSince1970: 1)))[0]
        span.parentSpanId = "0123456789abcdef"
        span.status = OTLP.Status(code: 2, message: "boom")
        span.attributes.append(OTLP.KeyValue("list", .array([.string("a"), .double(0.5), .bool(true), .int(-3)])))
        var resource = OTelResource.standard(environment: ["USER": "alice"])
        resource.set("team", "infra")
        let data = OTLP.TracesData(resourceSpans: [OTLP.ResourceSpans(resource: OTLP.Resource(resource), scopeSpans: [
            OTLP.ScopeSpans(scope: OTLP.scope, spans: [span])])])
        let decoded = try Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest(serializedBytes: OTLP.protobuf(data))
        let got = try #require(decoded.resourceSpans.first?.scopeSpans.first?.spans.first)
        #expect(Hex.string(got.traceID) == span.traceId && Hex.string(got.spanID) == span.spanId && Hex.string(got.parentSpanID) == "0123456789abcdef")
        #expect(got.startTimeUnixNano == 1_000_000_000 && String(got.endTimeUnixNano) == span.endTimeUnixNano)
        #expect(got.kind == .client && got.name == span.name)
        #expect(got.status.code == .error && got.status.message == "boom")
        #expect(got.attributes.count == span.attributes.count)
        #expect(got.attributes.first { $0.key == "gen_ai.usage.input_tokens" }?.value.intValue == 100)
        #expect(got.attributes.last?.value.arrayValue.values.map(\.value) == [.stringValue("a"), .doubleValue(0.5), .boolValue(true), .intValue(-3)])
        let attributes = Dictionary(uniqueKeysWithValues: decoded.resourceSpans[0].resource.attributes.map { ($0.key, $0.value.stringValue) })
        #expect(attributes["service.name"] == "ccglass" && attributes["user.name"] == "alice" && attributes["team"] == "infra")
        #expect(Hex.data("0aFf") == Data([0x0a, 0xff]))
    }

    @Test func otlpJSONUsesStringIntegersAndCamelCase() throws {
        var builder = SpanBuilder()
        let span = builder.spans(for: exchange(session: "s", at: Date(timeIntervalSince1970: 1)))[0]
        var failed = span
        failed.status = OTLP.Status(code: 2, message: "boom \"quoted\"")
        failed.parentSpanId = "0123456789abcdef"
        failed.attributes.append(OTLP.KeyValue("list", .array([.string("a"), .double(0.5), .bool(true)])))
        let lines = OTLP.TracesData(resourceSpans: [OTLP.ResourceSpans(resource: OTLP.Resource(.standard()), scopeSpans: [
            OTLP.ScopeSpans(scope: OTLP.scope, spans: [span, failed])])])
        // The hand-written writer says exactly what the Codable model says.
        let handWritten = try JSONSerialization.jsonObject(with: OTLP.json(lines)) as! NSDictionary
        let encoded = try JSONSerialization.jsonObject(with: OTLP.encoder.encode(lines)) as! NSDictionary
        #expect(handWritten.isEqual(encoded))
        let data = try OTLP.encoder.encode(span)
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["startTimeUnixNano"] as? String == "1000000000")
        #expect(json["kind"] as? Int == 3)
        let attributes = try #require(json["attributes"] as? [[String: Any]])
        let input = attributes.first { $0["key"] as? String == "gen_ai.usage.input_tokens" }
        #expect((input?["value"] as? [String: Any])?["intValue"] as? String == "100")
        let text = String(decoding: data, as: UTF8.self)
        #expect(!text.contains("_time_unix_nano") && !text.contains("trace_id"))
    }
}

@Suite struct OTLPMetricsTests {
    /// Every sum the push carries, by metric name, and the attributes of its points.
    private func pushed(_ metrics: OTLPMetrics) -> [String: [(attributes: [String: String], value: Double)]] {
        var found: [String: [(attributes: [String: String], value: Double)]] = [:]
        for metric in metrics.snapshot(resource: .standard()).resourceMetrics.flatMap(\.scopeMetrics).flatMap(\.metrics) {
            func strings(_ attributes: [OTLP.KeyValue]) -> [String: String] {
                Dictionary(uniqueKeysWithValues: attributes.compactMap { attribute in
                    if case .string(let value) = attribute.value { return (attribute.key, value) }
                    return nil
                })
            }
            for point in metric.sum?.dataPoints ?? [] { found[metric.name, default: []].append((strings(point.attributes), point.asDouble)) }
            for point in metric.histogram?.dataPoints ?? [] {
                found[metric.name, default: []].append((strings(point.attributes), Double(point.count) ?? -1))
            }
        }
        return found
    }

    /// The sum of a `/metrics` series over the lines whose labels include all of `labels`.
    private func scraped(_ text: String, _ name: String, _ labels: [String: String] = [:]) -> Double {
        text.split(separator: "\n").filter { line in
            line.hasPrefix(name + "{") && labels.allSatisfy { line.contains("\($0.key)=\"\($0.value)\"") }
        }.compactMap { Double($0.split(separator: " ").last ?? "") }.reduce(0, +)
    }

    /// Invented model names cannot grow the pushed series without end: past the limit they share
    /// `_other`, exactly as on `/metrics`.
    @Test func modelLabelsAreBounded() async {
        let prometheus = PrometheusExporter(failures: FailureLog(logger: Logger(label: "test")))
        let metrics = OTLPMetrics()
        prometheus.alsoRecord(into: metrics)
        for i in 0..<80 {
            var e = StoreFixtures.exchange(body: Data("{}".utf8))
            e.response.model = "invented-model-\(i)"
            e.request.model = e.response.model
            await prometheus.consume([.finished(e)])
        }
        var models = Set<String>()
        for points in pushed(metrics).values {
            for point in points { for key in ["model", GenAI.responseModel] { if let model = point.attributes[key] { models.insert(model) } } }
        }
        #expect(models.count == 65)
        #expect(models.contains("invented-model-63") && !models.contains("invented-model-64") && models.contains("_other"))
    }

    /// One recording feeds both: the push and a scrape count the same requests, tokens and cost, by the
    /// same labels, and both leave out an interrupted stream's output-only estimate.
    @Test func pushAndScrapeSayTheSame() async {
        let prometheus = PrometheusExporter(failures: FailureLog(logger: Logger(label: "test")))
        let metrics = OTLPMetrics()
        prometheus.alsoRecord(into: metrics)
        var priced = StoreFixtures.exchange(body: Data("{}".utf8), usage: Usage(inputTokens: 1200, outputTokens: 80, cacheReadTokens: 1000))
        priced.cost = Cost(input: 0.0006, output: 0.0012, cacheRead: 0.0003, cacheWrite5m: 0, cacheWrite1h: 0, pricedAs: "anthropic:x")
        var subagent = StoreFixtures.exchange(body: Data("{}".utf8), usage: Usage(inputTokens: 50, outputTokens: 7))
        subagent.agent = AgentRef(id: "a0123456789abcdef", parent: "ab1dc19fb980eca3b")
        let estimated = StoreFixtures.exchange(body: Data("{}".utf8), usage: Usage(inputTokens: 0, outputTokens: 33, outputEstimated: true))
        var failed = StoreFixtures.exchange(body: Data("{}".utf8), usage: nil)
        failed.status = 529
        failed.outcome = .httpError
        await prometheus.consume([.finished(priced), .finished(subagent), .finished(estimated), .finished(failed)])
        let text = prometheus.render()
        let push = pushed(metrics)

        func pushedSum(_ name: String, _ labels: [String: String] = [:]) -> Double {
            (push[name] ?? []).filter { point in labels.allSatisfy { point.attributes[$0.key] == $0.value } }.map(\.value).reduce(0, +)
        }
        #expect(pushedSum("ccglass.requests") == 4 && scraped(text, "ccglass_requests_total") == 4)
        #expect(pushedSum("ccglass.requests", ["status_class": "5xx"]) == 1 && scraped(text, "ccglass_requests_total", ["status_class": "5xx"]) == 1)
        #expect(pushedSum("ccglass.requests", ["agent_kind": "subagent"]) == 1
            && scraped(text, "ccglass_requests_total", ["agent_kind": "subagent"]) == 1)
        for type in ["input", "output", "cache_read"] {
            let expected: Double = ["input": 1250, "output": 87, "cache_read": 1000][type]!
            #expect(pushedSum("ccglass.tokens", ["type": type]) == expected, "pushed \(type)")
            #expect(scraped(text, "ccglass_tokens_total", ["type": type]) == expected, "scraped \(type)")
        }
        #expect(abs(pushedSum("ccglass.cost") - 0.0021) < 1e-12 && abs(scraped(text, "ccglass_cost_usd_total") - 0.0021) < 1e-12)
        #expect(pushedSum("ccglass.unpriced_requests") == 1 && scraped(text, "ccglass_unpriced_requests_total") == 1)
        #expect(pushedSum("gen_ai.client.token.usage", [GenAI.tokenType: "output"]) == 2)
        #expect(pushedSum("gen_ai.client.operation.duration", [GenAI.errorType: "529"]) == 1
            && scraped(text, "gen_ai_client_operation_duration_seconds_count", ["error_type": "529"]) == 1)
    }
}

@Suite struct RecordCodingTests {
    /// The hand-written record says exactly what `JSONEncoder` would, and reads back whole. Every
    /// optional field is set (an unset one is left out by both, so its encoding would go untested), and
    /// the two texts are compared value by value with their JSON types (`1` is not `true`).
    @Test func handWrittenRecordMatchesCodable() throws {
        var e = StoreFixtures.exchange(body: Data(#"{"a":"\"quoted\"\n"}"#.utf8), session: "s \"1\"", run: "r")
        e.response.id = "msg_01"
        e.response.toolCalls = [ToolCall(id: "t1", name: "Bash", arguments: #"{"command":"ls\tx"}"#,
                                         review: ToolReview(verdict: .flagged, detail: "Force-pushes \"main\"", rule: "soft_deny p[0]"))]
        e.response.text = "line\nbreak \u{01} control é"
        e.response.thinking = "hmm"
        e.response.error = ProviderError(type: "overloaded_error", message: "Overloaded")
        e.response.rawUsage = #"{"input_tokens":3}"#
        e.response.finishReasons = ["tool_use"]
        e.response.usage = Usage(inputTokens: 1, outputTokens: 2, cacheReadTokens: 3, cacheWrite5mTokens: 4, cacheWrite1hTokens: 5,
                                 reasoningTokens: 6, outputEstimated: true)
        e.response.parseFailures = 1
        e.response.complete = true
        e.request.model = "claude-sonnet-4-5"
        e.request.stream = true
        e.request.maxTokens = 4096
        e.request.temperature = 0.7
        e.request.topP = 0.95
        e.request.metadataUserID = "user_1"
        e.request.firstPrompt = "first"
        e.request.lastPrompt = "last"
        e.request.toolResultIDs = ["a", "b"]
        e.request.reviewMode = "auto"
        e.cost = Cost(input: 0.1, output: 1e-7, cacheRead: 0, cacheWrite5m: 0.000123456789, cacheWrite1h: 3, pricedAs: "anthropic:x")
        e.billing = .subscription
        e.timings.upstreamHeaders = 0.05
        e.timings.firstByte = 0.123456
        e.timings.overhead = 0.000421
        e.responseHeaders = [HeaderField("content-type", "text/event-stream")]
        e.responseBodyTruncated = true
        e.outcome = .providerError
        e.errorMessage = "boom"
        e.agent = AgentRef(id: "a0123456789abcdef", parent: "ab1dc19fb980eca3b")
        e.requestContentEncoding = "zstd"
        let ours = try #require(JSON.object(Array(RecordCoding.json(e).utf8)))
        let codable = try #require(JSON.object(Array(try JSONEncoder().encode(e))))
        #expect(JSON.text(ours) == JSON.text(codable))
        #expect(Set(codable.keys).count == 32, "every stored property of Exchange is in the record")
        #expect(try RecordCoding.decode(RecordCoding.encode(e)) == e)
    }

    /// A rate-limit reading stays out of the record (its headers are in it, its windows in the
    /// `rate_limit` table), so a Claude plan's exchange costs no more to store than another.
    @Test func theRateLimitReadingIsNotStoredTwice() throws {
        var e = StoreFixtures.exchange(body: Data("{}".utf8), session: "s")
        e.responseHeaders = [HeaderField("anthropic-ratelimit-unified-5h-utilization", "0.5"),
                             HeaderField("anthropic-ratelimit-unified-5h-reset", "1780003600")]
        e.readRateLimits()
        #expect(e.rateLimits?.window("five_hour")?.used == 0.5)
        let record = try #require(JSON.object(Array(RecordCoding.json(e).utf8)))
        #expect(record["rateLimits"] == nil)
        var back = try RecordCoding.decode(RecordCoding.encode(e))
        #expect(back.rateLimits == nil)
        back.readRateLimits()
        #expect(back == e)
    }
}

@Suite struct LayoutCodingTests {
    @Test func handWrittenLayoutMatchesCodable() throws {
        let layout = RequestBodyLayout(raw: nil, skeleton: 3, slots: [
            .init(at: 10, key: "system", items: [4, 5], separators: RequestBodySplit.Separators(all: ["", ", ", " "])),
            .init(at: 20, key: "messages", chain: 9, count: 2),
            .init(at: 30, key: "tools", part: 7),
        ])
        let ours = try JSONSerialization.jsonObject(with: Data(layout.json.utf8)) as! NSDictionary
        let codable = try JSONSerialization.jsonObject(with: JSONEncoder().encode(layout)) as! NSDictionary
        #expect(ours.isEqual(codable))
        #expect(try JSONDecoder().decode(RequestBodyLayout.self, from: Data(layout.json.utf8)) == layout)
        let raw = RequestBodyLayout(raw: 1)
        #expect(try JSONDecoder().decode(RequestBodyLayout.self, from: Data(raw.json.utf8)) == raw)
    }
}

@Suite struct OTLPRetryAfterTests {
    @Test func secondsAndHTTPDatesAreRead() {
        let now = Date(timeIntervalSince1970: 1_792_567_680)  // Wed, 21 Oct 2026 07:28:00 GMT
        #expect(OTLPPusher.retryAfter(" 17 ", now: now) == .seconds(17))
        #expect(OTLPPusher.retryAfter("Wed, 21 Oct 2026 07:28:30 GMT", now: now) == .seconds(30))
        #expect(OTLPPusher.retryAfter("Wed, 21 Oct 2026 07:27:00 GMT", now: now) == .zero)  // already past
        #expect(OTLPPusher.retryAfter("Sun, 01 Mar 2026 00:00:00 GMT", now: Date(timeIntervalSince1970: 1_772_323_200)) == .zero)
        #expect(OTLPPusher.retryAfter("Wed, 21 Oct 2026 07:28:00 PST", now: now) == nil)
        #expect(OTLPPusher.retryAfter("soon", now: now) == nil)
    }
}
