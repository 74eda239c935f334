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
    private let recorder: any ExchangeRecording
    /// The exchange as it was opened: what the messages of a WebSocket it becomes inherit.
    private let opened: Exchange
    private let format: WireFormatKind?
    private let captureLimit: Int
    private let started: ContinuousClock.Instant
    /// The request asks to become a WebSocket; it is recorded as its messages, not as itself.
    private let upgrade: Bool
    private let context: ProxyContext
    private var machine: RelayStateMachine

    private var connection: UpstreamConnection?
    private var upstream: UpstreamHandler?
    /// Request parts that arrived while the connection was being made.
    private var pending: [HTTPClientRequestPart] = []
    private var preUpstream = Duration.zero
    /// Upstream's `101`, until its end arrives and the connections are joined.
    private var switching: HTTPResponseHead?
    private var tap: ResponseTap?
    /// The response head, recorded (and the tap made for its body) once it has gone to the client.
    private var unrecordedHead: (HTTPResponseHead, ContinuousClock.Instant)?
    /// When the first body byte came from upstream, until its flush to the client is recorded.
    private var firstArrived: ContinuousClock.Instant?
    /// Body bytes from this socket read, written to the client as one chunk when the read ends: the
    /// same bytes at the same moment, for one pass through the response encoder instead of one per part.
    private var outgoing: ByteBuffer?
    /// What was sent to the client but not yet read by the tap.
    private var unread: ByteBuffer?

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
        opened = exchange
        self.context = context
        upgrade = HeaderPolicy.isWebSocketUpgrade(pairs)
        machine = RelayStateMachine(
            upgrade: upgrade, closeAfter: upgrade || (head.headerFields[.connection]?.containsIgnoringCase("close") ?? false),
            upstream: provider.upstream)

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
                upstreamFailed(error)
            }
        }
        starting = false
    }

    /// True while the client's body should wait: no connection yet, or upstream cannot take more.
    var holdsClientReads: Bool {
        guard !machine.responseOver else { return false }
        return upstream.map { !$0.isWritable } ?? true
    }

    // MARK: From the client

    func clientBody(_ chunk: ByteBuffer) {
        recorder.requestChunk(chunk)
        switch machine.clientBody() {
        case .queue: pending.append(.body(.byteBuffer(chunk)))
        case .send: send(.body(.byteBuffer(chunk)))
        case .drop: break
        }
    }

    func clientEnd() {
        let action = machine.clientEnd()
        switch action {
        case .queue: pending.append(.end(nil))
        case .send:
            send(.end(nil))
            flushUpstream()
        case .drop, .finish: break
        }
        recorder.requestEnded()  // parsed once the request is on its way
        if case .finish(let ending) = action { finish(ending) }
    }

    /// The end of one socket read: what it brought leaves for upstream in one write.
    func clientReadComplete() {
        flushUpstream()
    }

    func clientWritabilityChanged(_ writable: Bool) {
        upstream?.holdReads(!writable)
    }

    func clientClosed() {
        switch machine.clientClosed() {
        case .abandon(let ending):
            if let chunk = outgoing { unread.setOrWriteImmutableBuffer(chunk) }  // not sent, but it came from upstream
            outgoing = nil
            endTap()
            closeUpstream()
            finish(ending)
        case .finish(let ending):
            finish(ending)
        case .none:
            break
        }
    }

    // MARK: From upstream

    func upstreamRead(_ part: HTTPClientResponsePart) {
        switch part {
        case .head(let head):
            switch machine.responseHead(status: Int(head.status.code), keepAlive: head.isKeepAlive) {
            case .forward: forwardHead(head)
            case .awaitSwitch: switching = head
            case .ignore: break
            }
        case .body(let chunk):
            switch machine.responseBody() {
            case .forwardFirst:
                firstArrived = .now
                outgoing.setOrWriteImmutableBuffer(chunk)
            case .forward:
                outgoing.setOrWriteImmutableBuffer(chunk)
            case .ignore:
                break
            }
        case .end:
            switch machine.responseEnd() {
            case .becomeTunnel:
                if let switching { becomeTunnel(switching) }
            case .complete(let reuse, let ending):
                writeOutgoing()
                client.writeAndFlush(handler.wrapOutboundOut(.end(nil)), promise: nil)
                endTap()
                if let connection, let upstream {
                    upstream.detach()
                    if reuse { pool.release(connection) } else { upstream.close() }
                    self.connection = nil
                    self.upstream = nil  // it may serve another relay now
                }
                if let ending { finish(ending) }
            case .ignore:
                break
            }
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

    /// The connection could not be made, or broke, timed out or failed TLS; the handler has already let
    /// go of this relay.
    func upstreamFailed(_ error: any Error) {
        switch machine.upstreamFailed(error) {
        case .answerWithError(let failure, let ending):
            upstream = nil
            connection = nil
            pending = []
            let body = ErrorResponse.body(type: failure.outcome.rawValue, message: failure.message)
            let head = HTTPResponse(status: failure.status, headerFields: [
                .contentType: "application/json", .contentLength: "\(body.readableBytes)",
            ])
            client.write(handler.wrapOutboundOut(.head(head)), promise: nil)
            client.write(handler.wrapOutboundOut(.body(body)), promise: nil)
            client.writeAndFlush(handler.wrapOutboundOut(.end(nil)), promise: nil)
            handler.updateReads()  // the rest of the request is read and dropped
            if let ending { finish(ending) }
        case .breakOff(let ending):
            // Mid-answer: what arrived goes to the client, then its response ends the same abrupt way.
            upstream = nil
            connection = nil
            writeOutgoing()
            client.flush()
            endTap()
            client.close(promise: nil)
            finish(ending)
        case .none:
            break
        }
    }

    // MARK: Private

    private func forwardHead(_ head: HTTPResponseHead) {
        unrecordedHead = (head, .now)
        var fields = HTTPFields()
        for (name, value) in HeaderPolicy.clientResponseHeaders(head.headers.map { ($0.name, $0.value) }) {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        let status = HTTPResponse.Status(code: Int(head.status.code), reasonPhrase: head.status.reasonPhrase)
        client.write(handler.wrapOutboundOut(.head(HTTPResponse(status: status, headerFields: fields))), promise: nil)
    }

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
        guard machine.connected() == .attach else {
            pool.release(connection)  // the exchange ended while it was being made
            return
        }
        self.connection = connection
        let upstream = connection.handler
        self.upstream = upstream
        upstream.attach(self)
        upstream.send(.head(upstreamHead))
        for part in pending { upstream.send(part) }
        pending = []
        if flush { flushUpstream() }
        handler.updateReads()
    }

    /// What was written upstream leaves; the exchange is published as started once some of it has (an
    /// upgrade as the exchanges of its messages, or as itself at its end once it is refused).
    private func flushUpstream() {
        guard let upstream else { return }
        upstream.flush()
        if !upgrade { recorder.publishStart() }
    }

    /// The `101` is in: from here the relay is done, and the two connections are one tunnel, its
    /// messages recorded one exchange each. The handshake itself is not an exchange.
    private func becomeTunnel(_ head: HTTPResponseHead) {
        guard let connection, let upstream else { return }
        upstream.detach()
        self.connection = nil
        self.upstream = nil
        let responseHeaders = head.headers.map { HeaderField($0.name, $0.value) }
        let exchanges = WebSocketExchanges(handshake: .init(
            provider: provider, target: opened.target, format: format, requestHeaders: opened.requestHeaders,
            userAgent: opened.userAgent, responseHeaders: SecretRedaction.redact(responseHeaders), runID: opened.runID,
            billing: opened.billing,
            deflate: PerMessageDeflate(extensions: head.headers.first(name: "sec-websocket-extensions"))), context: context)
        // After this read: the decoder that delivered the `101` is taken out, which it cannot be mid-read.
        client.eventLoop.assumeIsolated().execute { [client, handler] in
            handler.relayBecameTunnel(WebSocketTunnel.join(client: client.channel, upstream: connection,
                                                           switching: head, exchanges: exchanges))
        }
    }

    private func send(_ part: HTTPClientRequestPart) {
        guard let upstream else { return }
        upstream.send(part)
        if !upstream.isWritable { handler.updateReads() }
    }

    private func closeUpstream() {
        upstream?.close()
        upstream = nil
        connection = nil
        pending = []
    }

    /// Both directions are done (or the client connection is going): record the exchange and free
    /// the client connection for its next request.
    private func finish(_ ending: RelayStateMachine.Ending) {
        recorder.publishStart()  // when it failed before anything went upstream
        recorder.end(tap: tap, failure: ending.failure.map { ($0.outcome, $0.message) })
        handler.relayFinished(closeConnection: ending.closeClient)
    }
}
