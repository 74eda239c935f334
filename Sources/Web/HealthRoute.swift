import Foundation
import Hummingbird
import Proxy

/// `GET /api/health`: how a wrapper finds a running ccglass on a port (no token needed, nothing secret).
package struct HealthReport: ResponseEncodable, Decodable, Sendable {
    package var service = "ccglass"
    package var version = CCGlassVersion.current
    package var pid = Int(ProcessInfo.processInfo.processIdentifier)
    /// `daemon` for `ccglass serve` (wrappers may share it), `wrapper` for a listener that lives and
    /// dies with one wrapped agent.
    package var mode: String
    package var providers: [String]
    /// Where each provider's traffic goes.
    package var upstreams: [String: String]

    package init(mode: String, providers: [Provider]) {
        self.mode = mode
        self.providers = providers.map(\.name)
        self.upstreams = Dictionary(uniqueKeysWithValues: providers.map { ($0.name, $0.upstream.absoluteString) })
    }
}

extension Router {
    /// Adds `/api/health`.
    package func addHealthRoute(_ report: HealthReport) {
        get("api/health") { _, _ in report }
    }
}
