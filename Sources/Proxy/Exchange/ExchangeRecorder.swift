import Foundation
import NIOCore
import Synchronization

/// What the relay tells the recording of its exchange, as it happens. It asks nothing back, so
/// forwarding never waits on recording; the recording reads its copies after each flush.
protocol ExchangeRecording: AnyObject, Sendable {
    func requestChunk(_ chunk: ByteBuffer)
    /// The client's request is whole and on its way: it is parsed now.
    func requestEnded()
    /// The request has gone upstream (called at each flush; only the first publishes).
    func publishStart()
    func upstreamHeaders(status: Int, headers: [HeaderField], arrived: ContinuousClock.Instant)
    func firstByte(arrived: ContinuousClock.Instant, written: ContinuousClock.Instant, preUpstream: Duration)
    func progress(_ tap: ResponseTap)
    func end(tap: ResponseTap?, failure: (Exchange.Outcome, String)?)
}

/// Builds one `Exchange` as its request and response pass through, and publishes it: at the start,
/// while the response streams (at most every `updateInterval`, and as soon as usage first appears),
/// and at the end. Fed by the relay on its event loop; a large request body is parsed on the recording
/// thread, which is why the state sits behind a lock.
final class ExchangeRecorder: ExchangeRecording {
    private struct State {
        var exchange: Exchange
        var requestBody = Data()
        var requestEnded = false
        /// The parse of a large or compressed body, running off the forwarding loop.
        var requestParse: Task<Void, Never>?
        var lastPublish: ContinuousClock.Instant
        var startPublished = false
        var finished = false
    }

    private let state: Mutex<State>
    private let started: ContinuousClock.Instant
    private let context: ProxyContext
    private let answered: AnsweredResponses?
    static let updateInterval = Duration.milliseconds(250)

    /// `answered`: the responses of the WebSocket this request came on, for linking a continuation.
    init(exchange: Exchange, started: ContinuousClock.Instant, context: ProxyContext, answered: AnsweredResponses? = nil) {
        self.started = started
        self.context = context
        self.answered = answered
        self.state = Mutex(State(exchange: exchange, lastPublish: started))
    }

    /// Publishes the exchange as started, once; the relay calls this when the request has gone upstream.
    func publishStart() {
        let started: Exchange? = state.withLock { state in
            guard !state.startPublished else { return nil }
            state.startPublished = true
            return state.exchange
        }
        if let started { context.bus.publish(.started(started)) }
    }

    var id: String { state.withLock { $0.exchange.id } }

    /// The exchange as recorded so far.
    var exchange: Exchange { state.withLock { $0.exchange } }

    /// Seconds from the exchange's start to `instant`, as its timings are kept.
    private func seconds(at instant: ContinuousClock.Instant = .now) -> Double {
        Self.seconds(instant - started)
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    // MARK: Request

    /// A piece of the request body, just handed upstream.
    func requestChunk(_ chunk: ByteBuffer) {
        state.withLock {
            $0.requestBody.append(contentsOf: chunk.readableBytesView)
            $0.exchange.requestBytes += chunk.readableBytes
        }
    }

    /// Request bodies larger than this are parsed on the recording thread: a coding agent's prompt runs
    /// to hundreds of KB, and parsing it on a forwarding loop would stall the streams that loop serves.
    /// Smaller ones stay here, where parsing costs less than the hop; a compressed one always goes, as its
    /// size says nothing of what it inflates to.
    static let offLoopParse = 16 << 10

    /// The request body is complete: parse it here when small, else off the forwarding path.
    func requestEnded() {
        let inline = state.withLock { state in
            state.requestEnded = true
            guard state.requestBody.count > Self.offLoopParse || state.exchange.requestHeaders.value(of: "content-encoding") != nil else { return true }
            state.requestParse = Task(executorPreference: OffLoopExecutor.recording) { self.parseRequest() }
            return false
        }
        if inline { parseRequest() }
    }

    private func parseRequest() {
        var (body, format, target, headers) = state.withLock { ($0.requestBody, $0.exchange.format, $0.exchange.target, $0.exchange.requestHeaders) }
        var decodedFrom: String?
        var undecodable = false
        if let coding = headers.value(of: "content-encoding") {
            do {
                if let decoded = try RequestBodyCoding.decode(body, contentEncoding: coding) {
                    body = decoded
                    decodedFrom = coding
                }
            } catch {
                undecodable = true
                context.failures.record(.decode, "\(error)")
            }
        }
        var prompt: Prompt?
        if let format {
            prompt = format.prompt(body: body, path: Substring(target))
            if prompt == nil, !body.isEmpty, !undecodable {
                context.failures.record(.parse, "a \(format.rawValue) request body was not JSON; forwarded unchanged, recorded unparsed")
            }
        }
        let summary = prompt?.summary ?? RequestSummary(parsed: false)
        state.withLock {
            $0.exchange.requestBody = body
            $0.exchange.requestContentEncoding = decodedFrom
            $0.exchange.request = summary
            $0.exchange.sessionID = SessionIdentity.session(headers: $0.exchange.requestHeaders, request: summary)
            // The body's word first: a WebSocket's header describes only the request that opened it.
            let turn = $0.exchange.transport == nil ? CodexTurnMetadata(headers: $0.exchange.requestHeaders) : nil
            $0.exchange.turnID = summary.turnID ?? turn?.turnID
            // Claude Code names no kind: its structure does (compaction, …); Codex says its own.
            let claudeCode = $0.exchange.client == ClaudeCodeStructure.client
            $0.exchange.requestKind = (claudeCode ? prompt.map { ClaudeCodeStructure.purpose(of: $0).rawValue } : nil)
                ?? summary.requestKind ?? turn?.requestKind
            if claudeCode { $0.exchange.agent = ClaudeCodeStructure.agent(headers: $0.exchange.requestHeaders) }
            $0.exchange.continues = prompt?.previousResponseID.flatMap { answered?.exchange(answering: $0) }
        }
    }

    // MARK: Response

    func upstreamHeaders(status: Int, headers: [HeaderField], arrived: ContinuousClock.Instant) {
        let at = seconds(at: arrived)
        state.withLock {
            $0.exchange.status = status
            $0.exchange.responseHeaders = SecretRedaction.redact(headers)
            $0.exchange.timings.upstreamHeaders = at
            $0.exchange.phase = .streaming
        }
    }

    func firstByte(arrived: ContinuousClock.Instant, written: ContinuousClock.Instant, preUpstream: Duration) {
        let ttft = seconds(at: arrived)
        let overhead = preUpstream + (written - arrived)
        state.withLock {
            $0.exchange.timings.firstByte = ttft
            $0.exchange.timings.overhead = Self.seconds(overhead)
        }
    }

    /// Progress while streaming; publishes an update when due.
    func progress(_ tap: ResponseTap) {
        let now = ContinuousClock.now
        let snapshot: Exchange? = state.withLock { state in
            let hadUsage = state.exchange.response.usage != nil
            state.exchange.responseBytes = tap.bytes
            if let summary = tap.summary { state.exchange.response = summary }
            let usageAppeared = !hadUsage && state.exchange.response.usage != nil
            guard usageAppeared || now - state.lastPublish >= Self.updateInterval else { return nil }
            state.lastPublish = now
            price(&state.exchange)
            return state.exchange
        }
        if let snapshot { context.bus.publish(.updated(snapshot)) }
    }

    /// Ends the exchange with what the response showed, or with `failure` when it broke off. Returns at
    /// once: the exchange is published now, or when the request's parse off the loop is done.
    func end(tap: ResponseTap?, failure: (Exchange.Outcome, String)? = nil) {
        let copy = tap.map(ResponseCopy.init)
        let end = seconds()
        if let parse = state.withLock({ $0.requestParse }) {
            Task {
                await parse.value
                self.finish(copy: copy, failure: failure, end: end)
            }
        } else {
            finish(copy: copy, failure: failure, end: end)
        }
    }

    private func finish(copy: ResponseCopy?, failure: (Exchange.Outcome, String)?, end: Double) {
        let final: Exchange? = state.withLock { state in
            guard !state.finished else { return nil }
            state.finished = true
            var exchange = state.exchange
            if !state.requestEnded {
                // The body never ended (upstream failed first): keep what was sent.
                exchange.requestBody = state.requestBody
            }
            if let copy {
                exchange.responseBytes = copy.bytes
                exchange.responseBody = copy.captured
                exchange.responseBodyTruncated = copy.capturedTruncated
                if let summary = copy.summary { exchange.response = summary }
                if !copy.problems.isEmpty {
                    context.failures.record(.parse, "response of \(exchange.provider) \(exchange.target) not fully read: \(copy.problems[0])")
                }
            }
            exchange.timings.end = end
            exchange.phase = .finished
            if let (outcome, message) = failure {
                exchange.outcome = outcome
                exchange.errorMessage = message
            } else if let status = exchange.status, status >= 400 {
                exchange.outcome = .httpError
                exchange.errorMessage = exchange.response.error?.message ?? "HTTP \(status)"
            } else if let error = exchange.response.error {
                exchange.outcome = .providerError
                exchange.errorMessage = "\(error.type): \(error.message)"
            } else {
                exchange.outcome = .ok
            }
            exchange.readRateLimits()
            price(&exchange)
            state.exchange = exchange
            return exchange
        }
        if let final { context.bus.publish(.finished(final)) }
    }

    private func price(_ exchange: inout Exchange) {
        guard let usage = exchange.response.usage else {
            exchange.cost = nil
            return
        }
        // A token count is free: its usage is the prompt's size, not tokens spent.
        if exchange.request.operation == "count_tokens" {
            exchange.cost = Cost(input: 0, output: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, pricedAs: "not billed (count_tokens)")
            return
        }
        exchange.cost = context.prices.cost(provider: exchange.provider, model: exchange.model, usage: usage, at: exchange.startedAt)
    }
}

/// What the response tap read, handed from the forwarding loop to whatever finishes the exchange.
private struct ResponseCopy: Sendable {
    let bytes: Int
    let captured: Data
    let capturedTruncated: Bool
    let summary: ResponseSummary?
    let problems: [String]

    init(_ tap: ResponseTap) {
        bytes = tap.bytes
        captured = tap.captured
        capturedTruncated = tap.capturedTruncated
        summary = tap.summary
        problems = tap.problems
    }
}
