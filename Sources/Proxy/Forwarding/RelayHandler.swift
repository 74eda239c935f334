import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Sits in each client connection's pipeline, after HTTP decoding and before Hummingbird. Requests to a
/// proxy route are relayed here, on the connection's own event loop; every other request (dashboard,
/// API, `/metrics`, refusals) passes through to Hummingbird untouched.
///
/// One connection carries one request at a time: a request that arrives while the other side is still
/// answering the previous one waits, with the connection's reads paused, until it is free.
final class RelayHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum Destination {
        case none
        case relay(Relay)
        case hummingbird
    }

    private let routes: ProxyRoutes
    private let proxy: ProxyContext
    private let pool: UpstreamPool
    private var handlerContext: ChannelHandlerContext?
    /// Where the parts of the request being read go.
    private var inbound = Destination.none
    /// The exchange being relayed, until both its request and its response have ended.
    private var relay: Relay?
    /// Requests passed to Hummingbird whose response has not ended yet.
    private var hummingbirdResponses = 0
    /// Parts held back until the connection is free, in arrival order.
    private var queued: [HTTPRequestPart] = []
    private var readPending = false
    private var quiesceDeferred = false
    /// The connection became a WebSocket: its bytes go through the tunnel, no longer through here.
    private weak var tunnel: WebSocketTunnel?

    init(routes: ProxyRoutes, context: ProxyContext, pool: UpstreamPool) {
        self.routes = routes
        self.proxy = context
        self.pool = pool
    }

    func handlerAdded(context: ChannelHandlerContext) {
        handlerContext = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        handlerContext = nil
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if queued.isEmpty, dispatch(part, context: context) { return }
        queued.append(part)
        updateReads()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .relay(let relay) = inbound { relay.clientReadComplete() }
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        relay?.clientWritabilityChanged(context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        relay?.clientClosed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A malformed request mid-relay: the connection cannot be read on, so the exchange ends here.
        if relay != nil { context.close(promise: nil) }
        context.fireErrorCaught(error)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // Shutting down: Hummingbird closes idle connections, and one carrying a relay looks idle to it.
        if event is ChannelShouldQuiesceEvent, let tunnel {
            tunnel.shutDown()
            return
        }
        if event is ChannelShouldQuiesceEvent, relay != nil {
            quiesceDeferred = true
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // Only Hummingbird's writes come through here; a relay writes from this handler's context.
        if case .end = unwrapOutboundIn(data) {
            // Never below zero: Hummingbird also answers a malformed request it never got a head for.
            hummingbirdResponses = max(0, hummingbirdResponses - 1)
            if hummingbirdResponses == 0, !queued.isEmpty {
                context.eventLoop.assumeIsolated().execute { self.drainQueue() }
            }
        }
        context.write(data, promise: promise)
    }

    func read(context: ChannelHandlerContext) {
        if holdsReads {
            readPending = true
        } else {
            context.read()
        }
    }

    // MARK: Relay

    /// Called by the relay when both its request and its response have ended.
    func relayFinished(closeConnection: Bool) {
        relay = nil
        if case .relay = inbound { inbound = .none }
        guard let context = handlerContext else { return }
        if closeConnection {
            context.close(promise: nil)
            return
        }
        if quiesceDeferred {
            quiesceDeferred = false
            context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        drainQueue()
    }

    /// Called by the relay once a WebSocket upgrade has become a tunnel (nil when joining failed and
    /// the connection is closing).
    func relayBecameTunnel(_ tunnel: WebSocketTunnel?) {
        relay = nil
        inbound = .none
        self.tunnel = tunnel
        if quiesceDeferred {
            quiesceDeferred = false
            tunnel?.shutDown()
        }
        updateReads()
    }

    /// Resumes reading from the client once nothing holds it back.
    func updateReads() {
        if readPending, !holdsReads {
            readPending = false
            handlerContext?.read()
        }
    }

    // MARK: Private

    private var holdsReads: Bool {
        if !queued.isEmpty { return true }
        if case .relay(let relay) = inbound { return relay.holdsClientReads }
        return false
    }

    /// Sends a part where it belongs; false when it has to wait for the connection to be free.
    private func dispatch(_ part: HTTPRequestPart, context: ChannelHandlerContext) -> Bool {
        switch part {
        case .head(let head):
            if let match = routes.match(head) {
                guard relay == nil, hummingbirdResponses == 0 else { return false }
                let relay = Relay(head: head, route: match, context: proxy, pool: pool, client: context, handler: self)
                self.relay = relay
                inbound = .relay(relay)
                relay.start()
            } else {
                guard relay == nil else { return false }
                hummingbirdResponses += 1
                inbound = .hummingbird
                context.fireChannelRead(wrapInboundOut(part))
            }
        case .body(let chunk):
            switch inbound {
            case .relay(let relay): relay.clientBody(chunk)
            case .hummingbird: context.fireChannelRead(wrapInboundOut(part))
            case .none: break
            }
        case .end:
            let destination = inbound
            inbound = .none
            switch destination {
            case .relay(let relay): relay.clientEnd()
            case .hummingbird: context.fireChannelRead(wrapInboundOut(part))
            case .none: break
            }
        }
        return true
    }

    private func drainQueue() {
        guard let context = handlerContext else { return }
        if !queued.isEmpty {
            while let part = queued.first {
                guard dispatch(part, context: context) else { break }
                queued.removeFirst()
            }
            // Outside a socket read nothing else ends the cycle, and Hummingbird takes parts in only then.
            channelReadComplete(context: context)
        }
        updateReads()
    }
}
