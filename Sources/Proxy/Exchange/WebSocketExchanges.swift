import Foundation
import NIOCore
import Synchronization

/// Reads a copy of a WebSocket connection's frames and turns each request message and the events
/// that answer it into one `Exchange`, as the relay does for an HTTP request. The Responses API over
/// WebSocket (Codex) sends `{"type":"response.create", …}` and gets back the same events as the SSE
/// stream's `data:` lines, one response at a time, several on one connection. Nothing is held past the
/// exchange it belongs to. Used on the connection's event loop only.
final class WebSocketExchanges {
    /// What the upgrade said, shared by every exchange on the connection.
    struct Handshake {
        let provider: Provider
        let target: String
        let format: WireFormatKind?
        let requestHeaders: [HeaderField]
        let userAgent: String?
        let responseHeaders: [HeaderField]
        let runID: String?
        let billing: Billing?
        let deflate: PerMessageDeflate?
    }

    private struct InFlight {
        let recorder: ExchangeRecorder
        var tap: ResponseTap
        var firstEventSeen = false
    }

    private let handshake: Handshake
    private let context: ProxyContext
    private let fromClient: WebSocketMessageReader
    private let fromUpstream: WebSocketMessageReader
    private var current: InFlight?
    private var reportedFailure = false
    private let answered = AnsweredResponses()

    init(handshake: Handshake, context: ProxyContext) {
        self.handshake = handshake
        self.context = context
        fromClient = WebSocketMessageReader(deflate: handshake.deflate, fromClient: true)
        fromUpstream = WebSocketMessageReader(deflate: handshake.deflate, fromClient: false)
    }

    /// Bytes the client sent, after they have gone upstream.
    func clientBytes(_ bytes: ByteBuffer) {
        for message in fromClient.feed(bytes.readableBytesView) {
            switch message {
            case .text(let payload) where Self.isRequest(payload): request(payload)
            case .close(let code, _):
                end(failure: (.clientDisconnected, "client closed the WebSocket\(code.map { " with \($0)" } ?? "") mid-response"))
            case .text, .binary, .ping, .pong: break
            }
        }
        reportUnreadable(fromClient)
    }

    /// Bytes upstream sent, after they have gone to the client.
    func upstreamBytes(_ bytes: ByteBuffer) {
        let arrived = ContinuousClock.now
        for message in fromUpstream.feed(bytes.readableBytesView) {
            switch message {
            case .text(let payload), .binary(let payload):
                event(payload, arrived: arrived)
            case .close(let code, let reason):
                if let code, code != 1000 {
                    end(failure: (.upstreamDropped, "upstream closed the WebSocket with \(code)\(reason.isEmpty ? "" : ": \(reason)")"))
                }
            case .ping, .pong:
                break
            }
        }
        reportUnreadable(fromUpstream)
    }

    /// The connection is gone: a response still streaming ends as cut off by whichever side left.
    func closed(by side: WebSocketTunnel.Side) {
        guard current != nil else { return }
        switch side {
        case .client: end(failure: (.clientDisconnected, "client closed the WebSocket mid-response"))
        case .upstream: end(failure: (.upstreamDropped, "upstream closed the WebSocket mid-response"))
        }
    }

    /// A `response.create`: its type leads the object (Codex, the SDKs), so the message's head is
    /// enough, and a 50 KB prompt is not parsed on the event loop to learn it.
    static func isRequest(_ payload: [UInt8]) -> Bool {
        let head = payload.prefix(256)
        let needle = Array("\"response.create\"".utf8)
        guard head.count >= needle.count else { return false }
        return (head.startIndex...(head.endIndex - needle.count)).contains { head[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    // MARK: Private

    private func request(_ payload: [UInt8]) {
        // One response at a time per connection: a new request ends the previous one as it stands.
        if current != nil { end(failure: (.incomplete, "a new request arrived before the response ended")) }
        var exchange = Exchange(
            id: ExchangeID.make(), startedAt: Date(), provider: handshake.provider, method: "GET",
            target: handshake.target, format: handshake.format, userAgent: handshake.userAgent,
            requestHeaders: handshake.requestHeaders)
        exchange.transport = .webSocket
        exchange.runID = handshake.runID
        exchange.billing = handshake.billing
        let recorder = ExchangeRecorder(exchange: exchange, started: .now, context: context, answered: answered)
        recorder.requestChunk(ByteBuffer(bytes: payload))
        recorder.requestEnded()
        recorder.upstreamHeaders(status: 101, headers: handshake.responseHeaders, arrived: .now)
        recorder.publishStart()
        current = InFlight(recorder: recorder, tap: ResponseTap(messagesOf: handshake.format, captureLimit: context.captureLimit))
    }

    private func event(_ payload: [UInt8], arrived: ContinuousClock.Instant) {
        guard var flight = current else { return }  // an event with no request: nothing to record it on
        current = nil  // the tap is changed in place, not copied
        if !flight.firstEventSeen {
            flight.firstEventSeen = true
            flight.recorder.firstByte(arrived: arrived, written: arrived, preUpstream: .zero)
        }
        flight.tap.ingest(message: payload)
        flight.recorder.progress(flight.tap)
        current = flight
        if flight.tap.summary?.complete == true || flight.tap.summary?.error != nil { end(failure: nil) }
    }

    private func end(failure: (Exchange.Outcome, String)?) {
        guard var flight = current else { return }
        current = nil
        flight.tap.finish()
        if let response = flight.tap.summary?.id { answered.add(response: response, exchange: flight.recorder.id) }
        flight.recorder.end(tap: flight.tap, failure: failure)
    }

    private func reportUnreadable(_ reader: WebSocketMessageReader) {
        guard let reason = reader.failure, !reportedFailure else { return }
        reportedFailure = true
        context.failures.record(.parse, "a WebSocket to \(handshake.provider.name) could not be read, still relayed: \(reason)")
    }
}

/// The responses answered on one connection, newest last: which exchange a later request's
/// `previous_response_id` continues. Written on the connection's loop, read by the request's parse.
final class AnsweredResponses: Sendable {
    private let answered = Mutex<[(response: String, exchange: String)]>([])
    /// A continuation names one of the last few responses; older ones are let go (memory stays flat).
    static let kept = 16

    func add(response: String, exchange: String) {
        answered.withLock {
            $0.append((response, exchange))
            if $0.count > Self.kept { $0.removeFirst() }
        }
    }

    func exchange(answering response: String) -> String? {
        answered.withLock { $0.last { $0.response == response }?.exchange }
    }
}
