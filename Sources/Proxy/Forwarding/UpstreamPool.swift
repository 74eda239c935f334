import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization

/// Where one provider's requests go: scheme, host and port of the upstream, and its base path.
struct UpstreamOrigin: Hashable, Sendable {
    let tls: Bool
    let host: String
    let port: Int
    /// Prepended to every target (`/api` for OpenRouter, else empty).
    let basePath: String
    /// The `Host` header: the port only when it is not the scheme's default.
    let hostHeader: String

    init(_ url: URL) {
        tls = url.scheme?.lowercased() != "http"
        host = url.host ?? "localhost"
        port = url.port ?? (tls ? 443 : 80)
        basePath = url.path
        let name = host.contains(Character(":")) ? "[\(host)]" : host
        hostHeader = port == (tls ? 443 : 80) ? name : "\(name):\(port)"
    }

    /// `/v1/messages?beta=true` under the base path, byte for byte.
    func uri(_ target: Substring) -> String {
        Provider.join(basePath, target)
    }
}

/// Timeouts and trust for upstream connections.
package struct UpstreamSettings: Sendable {
    /// Longest silence tolerated while waiting for bytes; agents wait minutes for a long answer.
    package var readTimeout: TimeAmount
    package var connectTimeout: TimeAmount
    /// How long an unused connection stays open for the next request.
    package var idleTimeout: TimeAmount
    /// PEM file of extra CAs to trust (a corporate TLS-inspecting proxy's), beside the system's.
    package var extraCAFile: String?

    package init(readTimeout: TimeAmount = .seconds(600), connectTimeout: TimeAmount = .seconds(10),
                idleTimeout: TimeAmount = .seconds(90), extraCAFile: String? = nil) {
        self.readTimeout = readTimeout
        self.connectTimeout = connectTimeout
        self.idleTimeout = idleTimeout
        self.extraCAFile = extraCAFile
    }
}

/// Keep-alive HTTP/1.1 connections to upstreams, one pool per event loop. A request goes upstream on
/// the loop that serves its client connection, so the request, the answer and each chunk written back
/// stay on one thread with no hop between them.
package final class UpstreamPool: Sendable {
    let settings: UpstreamSettings
    private let tls: NIOSSLContext
    private let byLoop: [ObjectIdentifier: LoopPool]

    package init(settings: UpstreamSettings = UpstreamSettings(), group: MultiThreadedEventLoopGroup = .singleton) throws {
        self.settings = settings
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.applicationProtocols = ["http/1.1"]
        if let file = settings.extraCAFile {
            configuration.additionalTrustRoots = [.file(file)]
        }
        tls = try NIOSSLContext(configuration: configuration)
        var byLoop: [ObjectIdentifier: LoopPool] = [:]
        for loop in group.makeIterator() {
            byLoop[ObjectIdentifier(loop)] = LoopPool(loop: loop)
        }
        self.byLoop = byLoop
    }

    /// A connection to `origin` on `loop`, reused when one is idle, and ready for a request (TLS done).
    func connection(to origin: UpstreamOrigin, on loop: any EventLoop) -> EventLoopFuture<UpstreamConnection> {
        loop.preconditionInEventLoop()
        if let pool = byLoop[ObjectIdentifier(loop)], let idle = pool.take(origin) {
            return loop.makeSucceededFuture(idle)
        }
        return connect(to: origin, on: loop)
    }

    /// Returns a connection whose last exchange ended cleanly, for the next request to `origin`.
    func release(_ connection: UpstreamConnection) {
        guard let pool = byLoop[ObjectIdentifier(connection.channel.eventLoop)], connection.channel.isActive else {
            connection.channel.close(promise: nil)
            return
        }
        pool.put(connection, idleTimeout: settings.idleTimeout)
    }

    private func connect(to origin: UpstreamOrigin, on loop: any EventLoop) -> EventLoopFuture<UpstreamConnection> {
        let ready = loop.makePromise(of: Void.self)
        let handler = NIOLoopBound(UpstreamHandler(ready: ready, waitsForTLS: origin.tls, readTimeout: settings.readTimeout),
                                   eventLoop: loop)
        let tls = origin.tls ? tls : nil
        // Made here, not by `addHTTPClientHandlers`, so that a WebSocket upgrade can take them out; the
        // decoder then hands on what it read past the `101` instead of dropping it.
        let httpHandlers = NIOLoopBound<[any RemovableChannelHandler]>([
            HTTPRequestEncoder(), NIOHTTPRequestHeadersValidator(),
            ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes)),
        ], eventLoop: loop)
        let bootstrap = ClientBootstrap(group: loop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(settings.connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls {
                        // SNI and certificate checks need a name; an IP address is checked as an address.
                        let isAddress = (try? SocketAddress(ipAddress: origin.host, port: 0)) != nil
                        try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: isAddress ? nil : origin.host))
                    }
                    try pipeline.addHandlers(httpHandlers.value + [handler.value])
                }
            }
        return bootstrap.connect(host: origin.host, port: origin.port).flatMap { channel in
            ready.futureResult.map {
                UpstreamConnection(channel: channel, handler: handler.value, httpHandlers: httpHandlers.value, origin: origin)
            }
                .flatMapErrorThrowing { error in
                    channel.close(promise: nil)
                    throw error
                }
        }.flatMapErrorThrowing { error in
            ready.fail(error)  // the initializer may have made the promise without ever completing it
            throw error
        }
    }

    package func shutdown() {
        for pool in byLoop.values {
            pool.loop.execute { pool.closeAll() }
        }
    }
}

/// One upstream channel, the handler at the end of its pipeline, and where it leads. Used on the
/// channel's event loop only.
struct UpstreamConnection: @unchecked Sendable {
    let channel: any Channel
    let handler: UpstreamHandler
    /// The HTTP codec, taken out when the connection becomes a WebSocket tunnel.
    let httpHandlers: [any RemovableChannelHandler]
    let origin: UpstreamOrigin

    /// The handlers a tunnel takes out, the decoder last: what it read past the `101` goes on to the
    /// tunnel's end, not to the relay's handler.
    var handlersLeavingForTunnel: [any RemovableChannelHandler] { [handler] + httpHandlers }
}

/// The idle connections of one event loop, touched only on that loop.
private final class LoopPool: @unchecked Sendable {
    let loop: any EventLoop
    private var idle: [UpstreamOrigin: [(connection: UpstreamConnection, expiry: Scheduled<Void>)]] = [:]

    init(loop: any EventLoop) {
        self.loop = loop
    }

    /// The most recently used live connection: the one least likely to have been closed by the server.
    func take(_ origin: UpstreamOrigin) -> UpstreamConnection? {
        while let (connection, expiry) = idle[origin]?.popLast() {
            expiry.cancel()
            if connection.channel.isActive { return connection }
        }
        return nil
    }

    func put(_ connection: UpstreamConnection, idleTimeout: TimeAmount) {
        loop.preconditionInEventLoop()
        let channel = connection.channel
        let expiry = loop.scheduleTask(in: idleTimeout) { [self] in
            idle[connection.origin]?.removeAll { $0.connection.channel === channel }
            channel.close(promise: nil)
        }
        idle[connection.origin, default: []].append((connection, expiry))
        // A server that closes an idle connection takes it out of the pool at once.
        connection.handler.onIdleClose = { [weak self] in
            guard let self else { return }
            self.idle[connection.origin]?.removeAll { entry in
                guard entry.connection.channel === channel else { return false }
                entry.expiry.cancel()
                return true
            }
        }
    }

    func closeAll() {
        for entries in idle.values {
            for entry in entries {
                entry.expiry.cancel()
                entry.connection.channel.close(promise: nil)
            }
        }
        idle = [:]
    }
}
