import AsyncHTTPClient
import Foundation
import Logging

/// What the forwarding path needs, shared by every request on a listener.
public struct ProxyContext: Sendable {
    public var providers: ProviderTable
    public var prices: PriceTable
    public let bus: ExchangeBus
    public let failures: FailureLog
    public let logger: Logger
    /// Bytes of each response body kept on the exchange; the client always gets all of it.
    public var captureLimit: Int
    /// Set by `ccglass claude` and friends so exchanges of one wrapper run can be grouped.
    public var runID: String?

    public init(providers: ProviderTable, prices: PriceTable, bus: ExchangeBus, failures: FailureLog,
                logger: Logger, captureLimit: Int = 16 << 20, runID: String? = nil) {
        self.providers = providers
        self.prices = prices
        self.bus = bus
        self.failures = failures
        self.logger = logger
        self.captureLimit = captureLimit
        self.runID = runID
    }
}

/// The HTTP client for upstream calls: its own, because the shared one decompresses and follows
/// redirects and a proxy must do neither.
public enum UpstreamClient {
    /// `readTimeout` is the longest silence tolerated while waiting for bytes; agents wait minutes.
    public static func make(readTimeout: Duration = .seconds(600), connectTimeout: Duration = .seconds(10)) -> HTTPClient {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .nanoseconds(Int64(connectTimeout.nanoseconds)),
                           read: .nanoseconds(Int64(readTimeout.nanoseconds))),
            decompression: .disabled)
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 512
        configuration.connectionPool.idleTimeout = .seconds(90)
        // Fail fast and let the agent's SDK retry, rather than holding a dead request for the connect timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
    }
}
