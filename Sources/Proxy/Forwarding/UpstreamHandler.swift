import NIOCore
import NIOHTTP1
import NIOTLS

/// Why an upstream connection gave up on its own (other failures come from NIO and TLS as they are).
enum UpstreamError: Error, CustomStringConvertible {
    case readTimeout
    case closed

    var description: String {
        switch self {
        case .readTimeout: return "no bytes within the read timeout"
        case .closed: return "connection closed"
        }
    }
}

/// The end of an upstream channel's pipeline. Hands each response part to the relay this connection
/// serves now, on the loop both share; while the connection sits in the pool it serves none.
final class UpstreamHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    private var relay: Relay?
    /// Set by the pool while the connection is idle there.
    var onIdleClose: (() -> Void)?
    private var ready: EventLoopPromise<Void>?
    private let waitsForTLS: Bool
    private let readTimeout: TimeAmount
    private var lastActivity = NIODeadline.now()
    private var timer: Scheduled<Void>?
    private var context: ChannelHandlerContext?
    private var readsHeld = false
    private var readPending = false

    init(ready: EventLoopPromise<Void>, waitsForTLS: Bool, readTimeout: TimeAmount) {
        self.ready = ready
        self.waitsForTLS = waitsForTLS
        self.readTimeout = readTimeout
    }

    // MARK: Used by the relay

    func attach(_ relay: Relay) {
        self.relay = relay
        onIdleClose = nil
        lastActivity = .now()
        scheduleTimer(in: readTimeout)
    }

    func detach() {
        relay = nil
        timer?.cancel()
        timer = nil
        holdReads(false)  // an idle connection reads, so a close by the server is seen at once
    }

    func send(_ part: HTTPClientRequestPart) {
        lastActivity = .now()
        context?.write(wrapOutboundOut(part), promise: nil)
    }

    func flush() {
        context?.flush()
    }

    var isWritable: Bool { context?.channel.isWritable ?? false }

    /// Back-pressure: stop reading the answer while the client cannot take more.
    func holdReads(_ hold: Bool) {
        readsHeld = hold
        if !hold, readPending {
            readPending = false
            context?.read()
        }
    }

    func close() {
        detach()
        context?.close(promise: nil)
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive, !waitsForTLS { markReady() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        if !waitsForTLS { markReady() }
        context.fireChannelActive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event { markReady() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let relay else {
            context.close(promise: nil)  // bytes on an idle connection: nothing can be trusted on it now
            return
        }
        relay.upstreamRead(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        lastActivity = .now()  // once per socket read, not per decoded part
        relay?.upstreamReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        relay?.upstreamWritabilityChanged(context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let ready {
            self.ready = nil
            ready.fail(error)
        } else if let relay {
            detach()
            relay.upstreamFailed(error)
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let ready {
            self.ready = nil
            ready.fail(UpstreamError.closed)
        }
        if let relay {
            detach()
            relay.upstreamFailed(UpstreamError.closed)
        }
        onIdleClose?()
        onIdleClose = nil
        context.fireChannelInactive()
    }

    func read(context: ChannelHandlerContext) {
        if readsHeld {
            readPending = true
        } else {
            context.read()
        }
    }

    // MARK: Private

    private func markReady() {
        if let ready {
            self.ready = nil
            ready.succeed()
        }
    }

    /// One timer per exchange, re-armed for what is left rather than reset on every read.
    private func scheduleTimer(in delay: TimeAmount) {
        timer?.cancel()
        guard let loop = context?.eventLoop else { return }
        timer = loop.assumeIsolated().scheduleTask(in: delay) { [self] in
            timer = nil
            guard let relay else { return }
            let silent = NIODeadline.now() - lastActivity
            if silent >= readTimeout {
                detach()
                relay.upstreamFailed(UpstreamError.readTimeout)
                context?.close(promise: nil)
            } else {
                scheduleTimer(in: readTimeout - silent)
            }
        }
    }
}
