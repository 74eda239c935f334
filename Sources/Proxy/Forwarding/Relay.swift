import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// One request relayed between a client connection and an upstream connection on the same event loop,
/// recorded as it passes. Every part is written on as it arrives and flushed at the end of each socket
/// read, before ccglass reads its copy; nothing waits for a task or a thread.
final class Relay {
    private unowned let handler: RelayHandler
    private let client: ChannelHandlerContext
    private let pool: UpstreamPool
    private let provider: Provider
    private let origin: UpstreamOrigin
    private let upstreamHead: HTTPRequestHead
    private let recorder: ExchangeRecorder
    private let format: WireFormatKind?
    private let captureLimit: Int
    private let started: ContinuousClock.Instant
    /// The client asked for `Connection: close`, or for a WebSocket (its decoder reads no more HTTP).
    private let closeAfter: Bool
    /// The request asks to become a WebSocket; it is recorded as its messages, not as itself.
    private let upgrade: Bool
    /// Upstream's `101`, until its end arrives and the connections are joined.
    private var switching: HTTPResponseHead?
    private let context: ProxyContext
    private let runID: String?

    private var connection: UpstreamConnection?
    private var upstream: UpstreamHandler?
    /// Request parts that arrived while the connection was being made.
    private var pending: [HTTPClientRequestPart] = []
    private var preUpstream = Duration.zero
    private var requestEnded = false
    private var requestSent = false
    private var startPublished = false
    private var responseStarted = false
    private var responseEnded = false
    private var upstreamKeepAlive = false
    private var tap: ResponseTap?
    private var awaitingFirstByte = true
    /// The response head, recorded (and the tap made for its body) once it has gone to the client.
    private var unrecordedHead: (HTTPResponseHead, ContinuousClock.Instant)?
    /// When the first body byte came from upstream, until its flush to the client is recorded.
    private var firstArrived: ContinuousClock.Instant?
    /// Body bytes from this socket read, written to the client as one chunk when the read ends: the
    /// same bytes at the same moment, for one pass through the response encoder instead of one per part.
    private var outgoing: ByteBuffer?
    /// What was sent to the client but not yet read by the tap.
    private var unread: ByteBuffer?
    private var failure: (Exchange.Outcome, String)?
    /// The client connection is closing (it went away, or upstream broke off mid-answer).
    private var abandoned = false
    private var finished = false

    init(head: HTTPRequest, route: ProxyRoutes.Match, context: ProxyContext,
         pool: UpstreamPool, client: ChannelHandlerContext, handler: RelayHandler) {
        let (provider, target) = (route.provider, route.target)
        started = .now
        self.handler = handler
        self.client = client
        self.pool = pool
        self.provider = provider
        origin = route.origin
        captureLimit = context.captureLimit
        let pairs = head.headerFields.map { ($0.name.rawName, $0.value) }
        format = WireFormatKind.detect(path: target)
        var exchange = Exchange(
            id: ExchangeID.make(), startedAt: Date(), provider: provider, method: head.method.rawValue,
            target: SecretRedaction.redact(target: String(target)), format: format,
            userAgent: head.headerFields[.userAgent],
            requestHeaders: SecretRedaction.redact(pairs).map { HeaderField($0.0, $0.1) })
        exchange.runID = route.runID ?? context.runID
        exchange.billing = Billing.of(provider: provider.name, headers: pairs)
        recorder = ExchangeRecorder(exchange: exchange, started: started, context: context)
        self.context = context
        runID = exchange.runID
        upgrade = HeaderPolicy.isWebSocketUpgrade(pairs)
        closeAfter = upgrade || (head.headerFields[.connection]?.containsIgnoringCase("close") ?? false)

        var headers = HTTPHeaders(HeaderPolicy.upstreamRequestHeaders(pairs, upgrade: upgrade))
        headers.add(name: "Host", value: origin.hostHeader)
        if let length = head.headerFields[.contentLength] {
            headers.add(name: "Content-Length", value: length)
        } else if head.headerFields[.transferEncoding] != nil {
            headers.add(name: "Transfer-Encoding", value: "chunked")
        }
        upstreamHead = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: head.method.rawValue),
                                       uri: origin.uri(target), headers: headers)
    }

    func start() {
        preUpstream = .now - started
        var starting = true
        pool.connection(to: origin, on: client.eventLoop).assumeIsolated().whenComplete { [self] result in
            switch result {
            case .success(let connection):
                // A pooled connection is here at once: the head waits for the body parts of this same
                // read, and all of it leaves in one write at the end of the read.
                connected(connection, flush: !starting)
            case .failure(let error):
                failBeforeResponse(UpstreamFailure(error, upstream: provider.upstream))
            }
        }
        starting = false
    }

    /// True while the client's body should wait: no connection yet, or upstream cannot take more.
    var holdsClientReads: Bool {
        guard !responseEnded else { return false }
        return upstream.map { !$0.isWritable } ?? true
    }

    // MARK: From the client

    func clientBody(_ chunk: ByteBuffer) {
        recorder.requestChunk(chunk)
        guard !responseEnded else { return }  // upstream has answered; the rest is read and dropped
        send(.body(.byteBuffer(chunk)))
    }

    func clientEnd() {
        requestEnded = true
        if !responseEnded {
            send(.end(nil))
            flushUpstream()
        }
        recorder.requestEnded()  // parsed once the request is on its way
        finishIfDone()
    }

    /// The end of one socket read: what it brought leaves for upstream in one write.
    func clientReadComplete() {
        flushUpstream()
    }

    func clientWritabilityChanged(_ writable: Bool) {
        upstream?.holdReads(!writable)
    }

    func clientClosed() {
        guard !finished else { return }
        abandoned = true
        if let chunk = outgoing { unread.setOrWriteImmutableBuffer(chunk) }  // not sent, but it came from upstream
        outgoing = nil
        if !responseEnded {
            responseEnded = true
            failure = (.clientDisconnected, "client closed the connection mid-response")
            endTap()
            closeUpstream()
        }
        finishIfDone()
    }

    // MARK: From upstream

    func upstreamRead(_ part: HTTPClientResponsePart) {
        guard !responseEnded else { return }
        switch part {
        case .head(let head) where upgrade && head.status == .switchingProtocols:
            responseStarted = true
            switching = head
        case .head(let head):
            responseStarted = true
            upstreamKeepAlive = head.isKeepAlive
            let pairs = head.headers.map { ($0.name, $0.value) }
            unrecordedHead = (head, .now)
            var fields = HTTPFields()
            for (name, value) in HeaderPolicy.clientResponseHeaders(pairs) {
                if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
            }
            let status = HTTPResponse.Status(code: Int(head.status.code), reasonPhrase: head.status.reasonPhrase)
            client.write(handler.wrapOutboundOut(.head(HTTPResponse(status: status, headerFields: fields))), promise: nil)
        case .body(let chunk):
            if awaitingFirstByte {
                awaitingFirstByte = false
                firstArrived = .now
            }
            outgoing.setOrWriteImmutableBuffer(chunk)
        case .end:
            if let switching {
                becomeTunnel(switching)
                return
            }
            responseEnded = true
            writeOutgoing()
            client.writeAndFlush(handler.wrapOutboundOut(.end(nil)), promise: nil)
            endTap()
            if let connection, let upstream {
                upstream.detach()
                // Reused only when both messages ended cleanly; otherwise its framing cannot be trusted.
                if requestSent, upstreamKeepAlive { pool.release(connection) } else { upstream.close() }
                self.connection = nil
                self.upstream = nil  // it may serve another relay now
            }
            finishIfDone()
        }
    }

    /// The end of one socket read: what it brought goes to the client first, then ccglass reads its copy.
    func upstreamReadComplete() {
        writeOutgoing()
        client.flush()
        readCopies()
    }

    func upstreamWritabilityChanged(_ writable: Bool) {
        handler.updateReads()
    }

    /// The connection broke, timed out or failed TLS; the handler has already let go of this relay.
    func upstreamFailed(_ error: any Error) {
        guard !responseEnded else { return }
        upstream = nil
        connection = nil
        guard responseStarted else {
            failBeforeResponse(UpstreamFailure(error, upstream: provider.upstream))
            return
        }
        // Mid-answer: what arrived goes to the client, then its response ends the same abrupt way.
        writeOutgoing()
        client.flush()
        let failure = UpstreamFailure(error, upstream: provider.upstream, midStream: true)
        self.failure = (failure.outcome, failure.message)
        responseEnded = true
        abandoned = true
        endTap()
        client.close(promise: nil)
        finishIfDone()
    }

    // MARK: Private

    private func writeOutgoing() {
        guard let chunk = outgoing else { return }
        outgoing = nil
        client.write(handler.wrapOutboundOut(.body(chunk)), promise: nil)
        unread.setOrWriteImmutableBuffer(chunk)
        if !client.channel.isWritable { upstream?.holdReads(true) }
    }

    private func endTap() {
        readCopies()
        tap?.finish()
    }

    private func readCopies() {
        if let (head, arrived) = unrecordedHead {
            unrecordedHead = nil
            recorder.upstreamHeaders(status: Int(head.status.code), headers: head.headers.map { HeaderField($0.name, $0.value) }, arrived: arrived)
            tap = ResponseTap(format: format, contentType: head.headers.first(name: "content-type"),
                              contentEncoding: head.headers.first(name: "content-encoding"), captureLimit: captureLimit)
        }
        if let arrived = firstArrived {
            firstArrived = nil
            recorder.firstByte(arrived: arrived, written: .now, preUpstream: preUpstream)
        }
        guard let chunk = unread else { return }
        unread = nil
        tap?.ingest(chunk)
        if let tap { recorder.progress(tap) }
    }

    private func connected(_ connection: UpstreamConnection, flush: Bool) {
        guard !responseEnded else {
            pool.release(connection)  // the client left while it was being made
            return
        }
        self.connection = connection
        let upstream = connection.handler
        self.upstream = upstream
        upstream.attach(self)
        upstream.send(.head(upstreamHead))
        for part in pending {
            upstream.send(part)
            if case .end = part { requestSent = true }
        }
        pending = []
        if flush { flushUpstream() }
        handler.updateReads()
    }

    /// What was written upstream leaves; the exchange is published as started once some of it has.
    private func flushUpstream() {
        guard let upstream else { return }
        upstream.flush()
        publishStart()
    }

    /// The `101` is in: from here the relay is done, and the two connections are one tunnel, its
    /// messages recorded one exchange each. The handshake itself is not an exchange.
    private func becomeTunnel(_ head: HTTPResponseHead) {
        guard let connection, let upstream else { return }
        responseEnded = true
        finished = true
        upstream.detach()
        self.connection = nil
        self.upstream = nil
        let responseHeaders = head.headers.map { HeaderField($0.name, $0.value) }
        let recorded = recorder.exchange
        let exchanges = WebSocketExchanges(handshake: .init(
            provider: provider, target: recorded.target, format: format, requestHeaders: recorded.requestHeaders,
            userAgent: recorded.userAgent, responseHeaders: SecretRedaction.redact(responseHeaders), runID: runID,
            billing: recorded.billing,
            deflate: PerMessageDeflate(extensions: head.headers.first(name: "sec-websocket-extensions"))), context: context)
        // After this read: the decoder that delivered the `101` is taken out, which it cannot be mid-read.
        client.eventLoop.assumeIsolated().execute { [client, handler] in
            handler.relayBecameTunnel(WebSocketTunnel.join(client: client.channel, upstream: connection,
                                                           switching: head, exchanges: exchanges))
        }
    }

    private func publishStart() {
        // An upgrade is published as the exchanges of its messages, or as itself once it is refused.
        guard !startPublished, !upgrade || responseEnded else { return }
        startPublished = true
        recorder.publishStart()
    }

    private func send(_ part: HTTPClientRequestPart) {
        guard let upstream else {
            pending.append(part)
            return
        }
        upstream.send(part)
        if case .end = part { requestSent = true }
        if !upstream.isWritable { handler.updateReads() }
    }

    /// No answer from upstream: the client gets a 502 or 504 with a JSON body its SDK reads as an API error.
    private func failBeforeResponse(_ failure: UpstreamFailure) {
        guard !responseEnded else { return }
        responseEnded = true
        closeUpstream()
        self.failure = (failure.outcome, failure.message)
        if !abandoned {
            let body = ErrorResponse.body(type: failure.outcome.rawValue, message: failure.message)
            let head = HTTPResponse(status: failure.status, headerFields: [
                .contentType: "application/json", .contentLength: "\(body.readableBytes)",
            ])
            client.write(handler.wrapOutboundOut(.head(head)), promise: nil)
            client.write(handler.wrapOutboundOut(.body(body)), promise: nil)
            client.writeAndFlush(handler.wrapOutboundOut(.end(nil)), promise: nil)
        }
        handler.updateReads()
        finishIfDone()
    }

    private func closeUpstream() {
        upstream?.close()
        upstream = nil
        connection = nil
        pending = []
    }

    /// Both directions are done (or the client connection is going): record the exchange and free
    /// the client connection for its next request.
    private func finishIfDone() {
        guard !finished, responseEnded, requestEnded || abandoned else { return }
        finished = true
        publishStart()  // when it failed before anything went upstream
        recorder.end(tap: tap, failure: failure)
        handler.relayFinished(closeConnection: closeAfter && !abandoned)
    }
}
