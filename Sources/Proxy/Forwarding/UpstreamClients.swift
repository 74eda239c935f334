import AsyncHTTPClient
import NIOCore
import NIOPosix

/// The HTTP clients for upstream calls, one per event loop. A request is sent on a connection owned by
/// the loop that serves its client connection, so the request, the upstream answer and each chunk
/// written back stay on one thread: a hop between threads costs a wake-up on every chunk.
///
/// They are ccglass's own clients, because the shared one decompresses and follows redirects and a
/// proxy must do neither.
public final class UpstreamClients: Sendable {
    private let byLoop: [ObjectIdentifier: HTTPClient]
    /// For callers not on one of the loops (exporters, tests).
    public let any: HTTPClient

    /// `readTimeout` is the longest silence tolerated while waiting for bytes; agents wait minutes.
    public init(readTimeout: Duration = .seconds(600), connectTimeout: Duration = .seconds(10),
                group: MultiThreadedEventLoopGroup = .singleton) {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .nanoseconds(Int64(connectTimeout.nanoseconds)),
                           read: .nanoseconds(Int64(readTimeout.nanoseconds))),
            decompression: .disabled)
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 512
        configuration.connectionPool.idleTimeout = .seconds(90)
        // Fail fast and let the agent's SDK retry, rather than holding a dead request for the connect timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        var byLoop: [ObjectIdentifier: HTTPClient] = [:]
        for loop in group.makeIterator() {
            byLoop[ObjectIdentifier(loop)] = HTTPClient(eventLoopGroupProvider: .shared(loop), configuration: configuration)
        }
        self.byLoop = byLoop
        self.any = byLoop.values.first!
    }

    /// The client whose connections live on the calling thread's event loop.
    public var current: HTTPClient {
        MultiThreadedEventLoopGroup.currentEventLoop.flatMap { byLoop[ObjectIdentifier($0)] } ?? any
    }

    public func shutdown() async throws {
        for client in byLoop.values { try await client.shutdown() }
    }
}
