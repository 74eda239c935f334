import Foundation
import Hummingbird
import Proxy

/// `GET /api/health`: how a wrapper finds a running ccglass on a port (no token needed, nothing secret).
public struct HealthReport: ResponseEncodable {
    public let service = "ccglass"
    public let version = CCGlassVersion.current
    public let pid = Int(ProcessInfo.processInfo.processIdentifier)
    public let providers: [String]

    public init(providers: [String]) {
        self.providers = providers
    }
}

extension Router {
    /// Adds `/api/health`.
    public func addHealthRoute(providers: [String]) {
        get("api/health") { _, _ in HealthReport(providers: providers) }
    }
}
