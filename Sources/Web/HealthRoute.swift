import Foundation
import Hummingbird
import Proxy

/// `GET /api/health`: how a wrapper finds a running ccglass on a port (no token needed, nothing secret).
public struct HealthReport: ResponseEncodable, Decodable, Sendable {
    public var service = "ccglass"
    public var version = CCGlassVersion.current
    public var pid = Int(ProcessInfo.processInfo.processIdentifier)
    /// `daemon` for `ccglass serve` (wrappers may share it), `wrapper` for a listener that lives and
    /// dies with one wrapped agent.
    public var mode: String
    public var providers: [String]
    /// Where each provider's traffic goes.
    public var upstreams: [String: String]

    public init(mode: String, providers: [Provider]) {
        self.mode = mode
        self.providers = providers.map(\.name)
        self.upstreams = Dictionary(uniqueKeysWithValues: providers.map { ($0.name, $0.upstream.absoluteString) })
    }
}

extension Router {
    /// Adds `/api/health`.
    public func addHealthRoute(_ report: HealthReport) {
        get("api/health") { _, _ in report }
    }
}
