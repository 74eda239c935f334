import AsyncHTTPClient
import Foundation
import Web

/// Asks whether a ccglass answers on a loopback port.
enum DaemonProbe {
    static func health(port: Int, host: String = "127.0.0.1") async -> HealthReport? {
        var request = HTTPClientRequest(url: "http://\(host):\(port)/api/health")
        request.method = .GET
        guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(1)),
              response.status == .ok,
              let body = try? await response.body.collect(upTo: 1 << 16),
              let report = try? JSONDecoder().decode(HealthReport.self, from: Data(body.readableBytesView)),
              report.service == "ccglass" else { return nil }
        return report
    }

    /// True when `url` is a ccglass listener itself (pointing ccglass at itself would loop).
    static func isCCGlass(_ url: URL) async -> Bool {
        guard let host = url.host, ["127.0.0.1", "localhost", "::1"].contains(host), let port = url.port else { return false }
        return await health(port: port, host: host == "localhost" ? "127.0.0.1" : host) != nil
    }
}
