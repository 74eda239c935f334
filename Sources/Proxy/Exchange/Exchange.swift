import Foundation

/// One request through ccglass and its response: who sent it, what it asked, what came back, what it
/// cost and how long it took. Published on the `ExchangeBus` when it starts, while it streams, and when
/// it ends. Secrets never enter it: headers arrive here already redacted.
package struct Exchange: Sendable, Codable, Equatable {
    /// Time-ordered id (UUIDv7, lowercase).
    package let id: String
    package let startedAt: Date
    /// Route name, e.g. `anthropic`.
    package let provider: String
    /// `gen_ai.provider.name`.
    package let providerOTelName: String
    /// Real upstream host and port (`server.address`, `server.port`).
    package let serverAddress: String
    package let serverPort: Int
    package let method: String
    /// Path and query as sent upstream, credentials in the query fingerprinted.
    package let target: String
    /// The full upstream URL of the request (same redaction).
    package let upstreamURL: String
    package let format: WireFormatKind?
    /// The agent or SDK that sent it, from its User-Agent (`claude-code`, `codex`, `openai-python`, …).
    package let client: String
    package let userAgent: String?
    /// The agent session: Claude Code's session id, Codex's conversation id, …; nil when none is known.
    package var sessionID: String?
    /// Wrapper run that carried it (`ccglass claude` sets one), for grouping when no session id exists.
    package var runID: String?
    /// How it crossed when not as an HTTP request of its own: one request message on a WebSocket.
    package var transport: Transport?
    /// The agent's own turn id (Codex `turn_id`), when it names one.
    package var turnID: String?
    /// The subagent that sent it (Claude Code's `Agent` tool); nil for a main agent and other clients.
    package var agent: AgentRef?
    /// What the agent sent it for, in its own words (Codex `request_kind`: prewarm, turn, compaction, review).
    package var requestKind: String?
    /// The exchange whose response this request continues (`previous_response_id`), when ccglass saw
    /// that response on the same WebSocket.
    package var continues: String?
    /// The conversation before this request, rebuilt by the history from the exchanges it continues;
    /// never stored (see `conversation`).
    package var earlier: Prompt?
    package var requestHeaders: [HeaderField]
    package var responseHeaders: [HeaderField] = []
    /// The request body exactly as forwarded, or decoded when it came compressed (`requestContentEncoding`).
    package var requestBody: Data = Data()
    /// The `Content-Encoding` the request body was sent in, when `requestBody` holds it decoded.
    package var requestContentEncoding: String?
    /// The response body exactly as received (still compressed if it was), up to the capture limit.
    package var responseBody: Data = Data()
    package var responseBodyTruncated = false
    package var request: RequestSummary = RequestSummary(parsed: false)
    package var response = ResponseSummary()
    /// nil when the model has no price (shown as unpriced, never $0).
    package var cost: Cost?
    /// How its tokens are paid for; a subscription's `cost` is the API-equivalent. nil in records
    /// written before ccglass told them apart (read as per token).
    package var billing: Billing?
    package var status: Int?
    package var timings = Timings()
    package var requestBytes = 0
    package var responseBytes = 0
    package var phase: Phase = .started
    package var outcome: Outcome?
    /// Human-readable reason for a failed outcome.
    package var errorMessage: String?
    /// What the response said of the caller's rate limits (`readRateLimits`), read once for every sink;
    /// nil until the exchange finishes, and in an exchange read back from the history (whose
    /// `rate_limit` table keeps the readings).
    package var rateLimits: RateLimitReading?

    package init(id: String, startedAt: Date, provider: Provider, method: String, target: String,
                format: WireFormatKind?, userAgent: String?, requestHeaders: [HeaderField]) {
        self.id = id
        self.startedAt = startedAt
        self.provider = provider.name
        self.providerOTelName = provider.otelName
        self.serverAddress = provider.serverAddress
        self.serverPort = provider.serverPort
        self.method = method
        self.target = target
        self.upstreamURL = provider.upstreamURL(Substring(target))
        self.format = format
        self.userAgent = userAgent
        self.client = ClientIdentity.client(userAgent: userAgent)
        self.requestHeaders = requestHeaders
    }

    /// The request's prompt, parsed from the body for each reader that asks (the body is what is kept
    /// and stored); nil when it is not JSON.
    package var prompt: Prompt? {
        format?.prompt(body: requestBody, path: Substring(target))
    }

    /// The session it is grouped under, decided here for every reader: the agent's session id, else the
    /// wrapper run that carried it (`run:<id>`); nil when neither is known (the history then groups it
    /// with the same client's recent session-less exchanges).
    package var sessionKey: String? {
        sessionID ?? runID.map { "run:" + $0 }
    }

    /// The model that served it, else the one requested.
    package var model: String? { response.model ?? request.model }

    package var usage: Usage? { response.usage }

    /// Reads `rateLimits` from the response: its headers as they arrived, with any reading the stream
    /// sent laid over. A WebSocket's upgrade headers are as old as the connection, so its exchanges
    /// take only the stream's. The recorder calls it once, when the exchange finishes.
    package mutating func readRateLimits() {
        let fromHeaders = transport == .webSocket ? nil : RateLimitReading(headers: responseHeaders, at: respondedAt)
        rateLimits = fromHeaders.map { $0.merged(with: response.rateLimits) } ?? response.rateLimits
    }

    /// The request's headers as they fit `requestBody`: a body kept decoded loses its `Content-Encoding`
    /// and gets its decoded length (what exports and a replayed cURL must send with it).
    package var requestHeadersForBody: [HeaderField] {
        guard requestContentEncoding != nil else { return requestHeaders }
        return requestHeaders.compactMap { header in
            switch header.name.lowercased() {
            case "content-encoding": return nil
            case "content-length": return HeaderField(header.name, String(requestBody.count))
            default: return header
            }
        }
    }

    /// When upstream's answer arrived (its headers), the time a rate-limit reading is of.
    package var respondedAt: Date { startedAt.addingTimeInterval(timings.upstreamHeaders ?? 0) }

    /// Whose limits those are: the ChatGPT account Codex names, else the credential's fingerprint (as
    /// recorded: its last four characters), else the provider alone.
    package var account: String {
        var credential: String?
        for header in requestHeaders {
            switch header.name.lowercased() {
            case "chatgpt-account-id": return header.value
            case "authorization", "x-api-key", "x-goog-api-key", "api-key":
                credential = credential ?? header.value.split(separator: " ").last.map(String.init)
            default: continue
            }
        }
        return credential ?? "default"
    }

    /// `error.type` in OpenTelemetry terms; nil for a success.
    package var errorType: String? {
        switch outcome {
        case nil, .ok: return nil
        case .httpError: return status.map(String.init) ?? "_OTHER"
        case .providerError: return response.error?.type ?? "_OTHER"
        case .upstreamUnreachable: return "upstream_unreachable"
        case .upstreamTimeout: return "timeout"
        case .upstreamDropped: return "upstream_dropped"
        case .clientDisconnected: return "client_disconnected"
        case .incomplete: return "incomplete"
        }
    }

    package enum Transport: String, Sendable, Codable {
        case webSocket = "websocket"
    }

    package enum Phase: String, Sendable, Codable {
        case started, streaming, finished
    }

    package enum Outcome: String, Sendable, Codable {
        /// A 2xx/3xx answer that ran to its end.
        case ok
        /// Upstream answered with a 4xx or 5xx status.
        case httpError = "http_error"
        /// An SSE `error` event (or error body) after a 200.
        case providerError = "provider_error"
        /// No answer: DNS, connect or TLS failure.
        case upstreamUnreachable = "upstream_unreachable"
        /// No answer within the read timeout.
        case upstreamTimeout = "upstream_timeout"
        /// Upstream closed the connection mid-response.
        case upstreamDropped = "upstream_dropped"
        /// The client went away mid-response; the upstream request was cancelled.
        case clientDisconnected = "client_disconnected"
        /// ccglass stopped (or crashed) before the exchange ended.
        case incomplete
    }
}

/// A header as recorded (order and case kept, secrets fingerprinted).
package struct HeaderField: Sendable, Codable, Equatable {
    package var name: String
    package var value: String

    package init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

extension [HeaderField] {
    /// The first value of the header `name` (lower case), names compared without case as HTTP does.
    package func value(of name: String) -> String? {
        first { $0.name.equalsIgnoringCase(name) }?.value
    }
}

/// Offsets from the start of an exchange, in seconds.
package struct Timings: Sendable, Codable, Equatable {
    /// Upstream's status line and headers arrived.
    package var upstreamHeaders: Double?
    /// First body byte arrived from upstream: time to first chunk (TTFT).
    package var firstByte: Double?
    /// The last byte was written to the client (or the exchange failed).
    package var end: Double?
    /// Time spent in ccglass itself: before the request left, and between the first chunk arriving and
    /// reaching the client.
    package var overhead: Double?

    package init() {}

    /// Time spent generating after the first byte.
    package var generation: Double? {
        guard let end, let firstByte else { return nil }
        return max(0, end - firstByte)
    }
}
