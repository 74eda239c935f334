import Foundation
import Hummingbird
import Proxy

/// Who may use the dashboard and its API: requests to this loopback listener, by its own name (a
/// `Host` of another name is a DNS-rebinding attempt), not sent by another site's page (`Origin`), and
/// carrying the per-install token, first in the URL ccglass prints, then in a cookie.
package final class DashboardAccess: Sendable {
    package let token: String
    package let address: ListenerAddress

    package var port: Int { address.port }

    package init(token: String, address: ListenerAddress) {
        self.token = token
        self.address = address
    }

    /// The cookie carrying the token; named by port, since cookies are shared by every port of a host.
    package var cookieName: String { "ccglass_token_\(port)" }

    package enum Verdict: Equatable {
        case allowed
        /// The token came in the URL: set the cookie and drop it from the address bar.
        case allowedFromURL
        case refused(HTTPResponse.Status, String)
    }

    package func check(_ request: Request) -> Verdict {
        guard address.accepts(authority: request.head.authority) else {
            return .refused(.misdirectedRequest, "ccglass answers only to 127.0.0.1:\(port) and localhost:\(port)")
        }
        if let origin = request.headers[.origin], origin != "null" {
            guard let url = URL(string: origin), let originHost = url.host, address.accepts(host: originHost, port: url.port) else {
                return .refused(.forbidden, "requests from other sites' pages are refused")
            }
        }
        if let query = request.uri.queryParameters.get("token"), Self.same(query, token) { return .allowedFromURL }
        if let bearer = request.headers[.authorization], bearer.hasPrefix("Bearer "), Self.same(String(bearer.dropFirst(7)), token) {
            return .allowed
        }
        if let cookies = request.headers[.cookie] {
            for pair in cookies.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if parts.count == 2, parts[0] == cookieName, Self.same(parts[1], token) { return .allowed }
            }
        }
        return .refused(.unauthorized, "open the dashboard through the URL ccglass printed (it carries the access token)")
    }

    /// Constant-time comparison, so the token cannot be guessed a character at a time.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// The install's token, `<home>/token`, created on first use (readable by its owner only).
    package static func token(home: URL) -> String {
        let file = home.appendingPathComponent("token")
        if let text = try? String(contentsOf: file, encoding: .utf8) {
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if token.count >= 32 { return token }
        }
        var generator = SystemRandomNumberGenerator()
        let token = (0..<4).map { _ in String(generator.next() as UInt64, radix: 16).leftPadded(16) }.joined()
        if FileManager.default.createFile(atPath: file.path, contents: Data(token.utf8), attributes: [.posixPermissions: 0o600]) {
            return token
        }
        return token  // a read-only home: this process's token only
    }
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// Applies `DashboardAccess` to the routes behind it.
package struct DashboardAccessMiddleware<Context: RequestContext>: RouterMiddleware {
    let access: DashboardAccess

    package init(_ access: DashboardAccess) {
        self.access = access
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        switch access.check(request) {
        case .allowed:
            return try await next(request, context)
        case .allowedFromURL:
            if request.method == .get, !request.uri.path.hasPrefix("/api/") {
                // Keep the token out of the address bar and history: cookie, then a clean URL.
                return Response(status: .seeOther, headers: [
                    .location: request.uri.path,
                    .setCookie: "\(access.cookieName)=\(access.token); Path=/; HttpOnly; SameSite=Strict",
                ])
            }
            return try await next(request, context)
        case .refused(let status, let message):
            let body = #"{"type":"error","error":{"type":"forbidden","message":"ccglass: \#(message)"}}"#
            return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
        }
    }
}
