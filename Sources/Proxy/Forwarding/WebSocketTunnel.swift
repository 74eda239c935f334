import NIOCore
import NIOHTTP1

/// A WebSocket upgrade after its `101`: the client connection and the upstream connection joined byte
/// for byte, on the loop both share. Each socket read leaves for the other side when it ends, frame
/// boundaries and compression as the two ends agreed them; then ccglass reads its copy. Either side
/// closing closes the other once what it sent has been written.
final class WebSocketTunnel {
    enum Side {
        case client, upstream
        var other: Side { self == .client ? .upstream : .client }
    }

    /// What the tunnel does about one event, decided without sockets (`WebSocketTunnelTests`).
    enum State: Equatable {
        case open
        /// One side went away; the other is closed once what it was sent has been flushed.
        case closing(by: Side)
        case closed

        enum Action: Equatable {
            case forward(to: Side)
            case drop
            case closeAfterFlush(Side)
        }

        /// Bytes read from `side`.
        func read(from side: Side) -> Action {
            self == .open ? .forward(to: side.other) : .drop  // once one side is gone, no one takes them

        }

        /// `side`'s connection became inactive.
        mutating func inactive(_ side: Side) -> Action {
            switch self {
            case .open:
                self = .closing(by: side)
                return .closeAfterFlush(side.other)
            case .closing(let by) where by != side:
                self = .closed
                return .drop
            case .closing, .closed:
                return .drop
            }
        }
    }

    private var state = State.open
    private var ends: (client: TunnelEnd?, upstream: TunnelEnd?) = (nil, nil)
    private let exchanges: WebSocketExchanges

    private init(exchanges: WebSocketExchanges) {
        self.exchanges = exchanges
    }

    /// Joins the two connections: `switching` (upstream's `101`, as upstream sent it) goes to the
    /// client first, then whatever upstream sent after it, then the frames of both sides.
    static func join(client: any Channel, upstream: UpstreamConnection, switching: HTTPResponseHead,
                     exchanges: WebSocketExchanges) -> WebSocketTunnel? {
        let tunnel = WebSocketTunnel(exchanges: exchanges)
        let clientEnd = TunnelEnd(side: .client, tunnel: tunnel)
        let upstreamEnd = TunnelEnd(side: .upstream, tunnel: tunnel)
        tunnel.ends = (clientEnd, upstreamEnd)
        do {
            // First in the client's pipeline: its bytes no longer go to the HTTP decoder, and what is
            // written here goes straight to the socket.
            try client.pipeline.syncOperations.addHandler(clientEnd, position: .first)
            clientEnd.write(ByteBuffer(string: Self.statusLine(switching)))
            clientEnd.flush()
            // Last in upstream's, once its HTTP handlers are gone: the decoder hands over the bytes
            // it read past the `101` as it leaves.
            let pipeline = upstream.channel.pipeline.syncOperations
            try pipeline.addHandler(upstreamEnd)
            for handler in upstream.handlersLeavingForTunnel { pipeline.removeHandler(handler, promise: nil) }
        } catch {
            client.close(promise: nil)
            upstream.channel.close(promise: nil)
            return nil
        }
        if !client.isActive { tunnel.inactive(.client) }
        if !upstream.channel.isActive { tunnel.inactive(.upstream) }
        return tunnel
    }

    /// The `101` as upstream sent it: status line and every header, Upgrade and Connection included.
    static func statusLine(_ head: HTTPResponseHead) -> String {
        var text = "HTTP/1.1 \(head.status.code) \(head.status.reasonPhrase)\r\n"
        for (name, value) in head.headers { text += "\(name): \(value)\r\n" }
        return text + "\r\n"
    }

    // MARK: From either end

    func read(_ bytes: ByteBuffer, from side: Side) {
        guard case .forward(let to) = state.read(from: side), let end = end(to) else { return }
        end.write(bytes)
        switch side {
        case .client: exchanges.clientBytes(bytes)
        case .upstream: exchanges.upstreamBytes(bytes)
        }
    }

    /// The end of one socket read: what it brought leaves now.
    func readComplete(from side: Side) {
        end(side.other)?.flush()
    }

    func writabilityChanged(_ side: Side, writable: Bool) {
        end(side.other)?.holdReads(!writable)  // a side that cannot take more stops the other's reads
    }

    func inactive(_ side: Side) {
        switch state.inactive(side) {
        case .closeAfterFlush(let other):
            exchanges.closed(by: side)
            end(other)?.closeAfterFlush()
        case .forward, .drop:
            break
        }
    }

    /// ccglass is shutting down: both connections close.
    func shutDown() {
        ends.client?.closeAfterFlush()
        ends.upstream?.closeAfterFlush()
    }

    private func end(_ side: Side) -> TunnelEnd? {
        side == .client ? ends.client : ends.upstream
    }
}

/// One side's handler in a tunnel: raw bytes in, raw bytes out, reads held while the other side
/// cannot take more.
final class TunnelEnd: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let side: WebSocketTunnel.Side
    private var tunnel: WebSocketTunnel?
    private var context: ChannelHandlerContext?
    private var readsHeld = false
    private var readPending = false

    init(side: WebSocketTunnel.Side, tunnel: WebSocketTunnel) {
        self.side = side
        self.tunnel = tunnel
    }

    func write(_ bytes: ByteBuffer) {
        context?.write(wrapOutboundOut(bytes), promise: nil)
    }

    func flush() {
        context?.flush()
    }

    func holdReads(_ hold: Bool) {
        readsHeld = hold
        if !hold, readPending {
            readPending = false
            context?.read()
        }
    }

    /// Closes once every write before it has reached the socket (a plain close would drop them, the
    /// other side's close frame among them).
    func closeAfterFlush() {
        guard let context else { return }
        context.writeAndFlush(wrapOutboundOut(ByteBuffer())).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        tunnel?.read(unwrapInboundIn(data), from: side)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        tunnel?.readComplete(from: side)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        tunnel?.writabilityChanged(side, writable: context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        let tunnel = self.tunnel
        self.tunnel = nil  // the two ends and the tunnel no longer hold each other
        tunnel?.inactive(side)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)  // a broken connection (TLS, reset) ends as a close
    }

    func read(context: ChannelHandlerContext) {
        if readsHeld {
            readPending = true
        } else {
            context.read()
        }
    }
}
