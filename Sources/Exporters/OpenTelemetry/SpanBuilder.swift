import Crypto
import Foundation
import Proxy

/// Turns finished exchanges into OpenTelemetry spans: one `chat {model}` CLIENT span per exchange, all
/// spans of an agent session in one trace, and an `execute_tool {name}` span for each tool call,
/// inferred from the `tool_use` in one response to the `tool_result` in the next request, so the agent
/// loop reads as a timeline. A Claude Code subagent's chat spans are children of the `Agent` tool span
/// that started it. Not thread-safe: one exporter task owns it.
struct SpanBuilder {
    /// Include prompts and completions (`gen_ai.input.messages`, …); off by default, as the spec says.
    var captureContent = false
    private var pending: [String: [String: PendingCall]] = [:]
    /// Per session: the `Agent` calls made so far, and the call each subagent was started by.
    private var agentCalls: [String: [AgentCall]] = [:]
    private var subagentCalls: [String: [String: AgentCall]] = [:]
    private var sessionOrder: [String] = []
    static let maxSessions = 1000

    private struct PendingCall {
        let call: ToolCall
        let parentSpanID: String
        let issuedAt: Date
    }

    /// A Claude Code `Agent` call: the subagent it starts is a child of its tool span.
    private struct AgentCall {
        let callID: String
        let caller: String?
        let prompt: String?
        /// The subagent's type (`general-purpose`, `Explore`, …): its spans' `gen_ai.agent.name`.
        let type: String?
    }

    init(captureContent: Bool = false) {
        self.captureContent = captureContent
    }

    /// The spans for one finished exchange (its chat span first).
    mutating func spans(for exchange: Exchange) -> [OTLP.Span] {
        let traceID = Self.traceID(exchange)
        let spanID = Self.spanID(exchange.id)
        let start = exchange.startedAt
        let end = start.addingTimeInterval(exchange.timings.end ?? 0)
        let session = exchange.sessionKey ?? ""
        let spawn = session.isEmpty ? nil : spawningCall(of: exchange, session: session)
        var spans = [chatSpan(exchange, traceID: traceID, spanID: spanID, spawn: spawn, end: end)]
        if !session.isEmpty {
            var calls = pending[session] ?? [:]
            for id in exchange.request.toolResultIDs {
                guard let issued = calls.removeValue(forKey: id) else { continue }
                spans.append(toolSpan(issued, traceID: traceID, end: start))
            }
            for call in exchange.response.toolCalls where !call.id.isEmpty {
                calls[call.id] = PendingCall(call: call, parentSpanID: spanID, issuedAt: end)
                if call.name == ClaudeCodeStructure.agentTool {
                    let input = JSON.object(Array(call.arguments.utf8))
                    agentCalls[session, default: []].append(AgentCall(callID: call.id, caller: exchange.agent?.id,
                                                                      prompt: input?.string("prompt"),
                                                                      type: input?.string("subagent_type")))
                    if agentCalls[session]!.count > 256 { agentCalls[session]!.removeFirst() }
                }
            }
            remember(session, calls)
        }
        return spans
    }

    private mutating func remember(_ session: String, _ calls: [String: PendingCall]) {
        if pending.updateValue(calls, forKey: session) == nil {
            sessionOrder.append(session)
            if sessionOrder.count > Self.maxSessions {
                let oldest = sessionOrder.removeFirst()
                pending.removeValue(forKey: oldest)
                agentCalls.removeValue(forKey: oldest)
                subagentCalls.removeValue(forKey: oldest)
            }
        }
    }

    /// The `Agent` call that started the subagent sending `exchange`: the one it was matched to before,
    /// else `ClaudeCodeStructure.spawningCall` among its starter's unmatched calls.
    private mutating func spawningCall(of exchange: Exchange, session: String) -> AgentCall? {
        guard let agent = exchange.agent else { return nil }
        if let known = subagentCalls[session]?[agent.id] { return known }
        let taken = Set(subagentCalls[session]?.values.map(\.callID) ?? [])
        let candidates = (agentCalls[session] ?? []).filter { $0.caller == agent.parent && !taken.contains($0.callID) }
        guard let call = ClaudeCodeStructure.spawningCall(among: candidates, prompt: \.prompt, opening: exchange.request.firstPrompt) else {
            return nil
        }
        subagentCalls[session, default: [:]][agent.id] = call
        return call
    }

    private func chatSpan(_ exchange: Exchange, traceID: String, spanID: String, spawn: AgentCall?, end: Date) -> OTLP.Span {
        typealias KV = OTLP.KeyValue
        var attributes = [
            KV(GenAI.operationName, .string(exchange.operationName)),
            KV(GenAI.providerName, .string(exchange.providerOTelName)),
            KV(GenAI.serverAddress, .string(exchange.serverAddress)),
            KV(GenAI.serverPort, .int(exchange.serverPort)),
            KV("ccglass.exchange.id", .string(exchange.id)),
            KV("ccglass.client", .string(exchange.client)),
            KV("http.request.method", .string(exchange.method)),
            KV("url.path", .string(String(exchange.target.prefix { $0 != "?" }))),
        ]
        func add(_ key: String, _ value: OTLP.AnyValue?) {
            if let value { attributes.append(KV(key, value)) }
        }
        add(GenAI.requestModel, exchange.request.model.map { .string($0) })
        add(GenAI.requestStream, exchange.request.stream.map { .bool($0) })
        add(GenAI.requestMaxTokens, exchange.request.maxTokens.map { .int($0) })
        add(GenAI.requestTemperature, exchange.request.temperature.map { .double($0) })
        add(GenAI.requestTopP, exchange.request.topP.map { .double($0) })
        add(GenAI.responseModel, exchange.response.model.map { .string($0) })
        add(GenAI.responseID, exchange.response.id.map { .string($0) })
        if !exchange.response.finishReasons.isEmpty {
            add(GenAI.finishReasons, .array(exchange.response.finishReasons.map { .string($0) }))
        }
        if exchange.request.stream == true { add(GenAI.timeToFirstChunk, exchange.timings.firstByte.map { .double($0) }) }
        add(GenAI.conversationID, exchange.sessionID.map { .string($0) })
        // A Claude Code subagent's requests name it; its parent is the subagent that started it.
        add(GenAI.agentID, exchange.agent.map { .string($0.id) })
        add(GenAI.agentName, spawn?.type.map { .string($0) })
        add("ccglass.agent.parent_id", exchange.agent?.parent.map { .string($0) })
        add("ccglass.request.kind", exchange.requestKind.map { .string($0) })
        add(GenAI.httpStatus, exchange.status.map { .int($0) })
        add(GenAI.errorType, exchange.errorType.map { .string($0) })
        if let usage = exchange.usage {
            add(GenAI.inputTokens, .int(usage.inputTokens))
            add(GenAI.outputTokens, .int(usage.outputTokens))
            add(GenAI.cacheReadTokens, .int(usage.cacheReadTokens))
            add(GenAI.cacheCreationTokens, .int(usage.cacheWriteTokens))
            add("ccglass.usage.cache_creation.5m.input_tokens", .int(usage.cacheWrite5mTokens))
            add("ccglass.usage.cache_creation.1h.input_tokens", .int(usage.cacheWrite1hTokens))
            if usage.reasoningTokens > 0 { add(GenAI.reasoningTokens, .int(usage.reasoningTokens)) }
        }
        add("ccglass.cost.usd", exchange.cost.map { .double($0.total) })
        // Signed in to a plan, the cost above is the API-equivalent, not a charge.
        if exchange.cost != nil, let billing = exchange.billing { add("ccglass.billing", .string(billing.rawValue)) }
        if captureContent { attributes += SpanContent.attributes(exchange) }
        let failed = exchange.errorType != nil
        return OTLP.Span(
            traceId: traceID, spanId: spanID, parentSpanId: spawn.map { Self.spanID("tool:" + $0.callID) },
            name: "\(exchange.operationName) \(exchange.request.model ?? exchange.response.model ?? "unknown")",
            kind: 3, startTimeUnixNano: OTLP.nanos(exchange.startedAt), endTimeUnixNano: OTLP.nanos(end),
            attributes: attributes, status: failed ? OTLP.Status(code: 2, message: exchange.errorMessage) : nil)
    }

    private func toolSpan(_ issued: PendingCall, traceID: String, end: Date) -> OTLP.Span {
        var attributes = [
            OTLP.KeyValue(GenAI.operationName, .string("execute_tool")),
            OTLP.KeyValue(GenAI.toolName, .string(issued.call.name)),
            OTLP.KeyValue(GenAI.toolCallID, .string(issued.call.id)),
            OTLP.KeyValue(GenAI.toolType, .string("function")),
        ]
        if captureContent { attributes.append(OTLP.KeyValue(GenAI.toolCallArguments, .string(issued.call.arguments))) }
        if let review = issued.call.review {
            attributes.append(OTLP.KeyValue("ccglass.tool.review.verdict", .string(review.verdict.rawValue)))
            if let detail = review.detail, captureContent { attributes.append(OTLP.KeyValue("ccglass.tool.review.detail", .string(detail))) }
        }
        return OTLP.Span(
            traceId: traceID, spanId: Self.spanID("tool:" + issued.call.id), parentSpanId: issued.parentSpanID,
            name: "execute_tool \(issued.call.name)", kind: 1, startTimeUnixNano: OTLP.nanos(issued.issuedAt),
            endTimeUnixNano: OTLP.nanos(max(end, issued.issuedAt)), attributes: attributes, status: nil)
    }

    /// One trace per agent session (per exchange when there is none): 16 bytes of SHA-256, hex.
    static func traceID(_ exchange: Exchange) -> String {
        let key = exchange.sessionKey ?? exchange.id
        return hex(SHA256.hash(data: Data(("trace:" + key).utf8)).prefix(16))
    }

    static func spanID(_ key: String) -> String {
        hex(SHA256.hash(data: Data(("span:" + key).utf8)).prefix(8))
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        Hex.string(bytes)
    }
}
