import Foundation
import Hummingbird
import Synchronization

/// Who may use the dashboard and its API: requests to this loopback listener, by its own name (a
/// `Host` of another name is a DNS-rebinding attempt), not sent by another site's page (`Origin`), and
/// carrying the per-install token, first in the URL ccglass prints, then in a cookie.
public final class DashboardAccess: Sendable {
    public let token: String
    /// Host names the listener answers to (loopback names, plus an explicit `--host`).
    public let hosts: Set<String>
    private let boundPort = Atomic<Int>(0)

    /// The listener's port, known once it is bound.
    public var port: Int { boundPort.load(ordering: .relaxed) }

    public func bound(to port: Int) { boundPort.store(port, ordering: .relaxed) }

    public init(token: String, port: Int = 0, extraHost: String? = nil) {
        self.token = token
        boundPort.store(port, ordering: .relaxed)
        var hosts: Set<String> = ["127.0.0.1", "localhost", "[::1]"]
        if let extraHost { hosts.insert(extraHost.contains(":") && !extraHost.hasPrefix("[") ? "[\(extraHost)]" : extraHost) }
        self.hosts = hosts
    }

    /// The cookie carrying the token; named by port, since cookies are shared by every port of a host.
    public var cookieName: String { "ccglass_token_\(port)" }

    public enum Verdict: Equatable {
        case allowed
        /// The token came in the URL: set the cookie and drop it from the address bar.
        case allowedFromURL
        case refused(HTTPResponse.Status, String)
    }

    public func check(_ request: Request) -> Verdict {
        guard let host = request.head.authority, hosts.contains(Self.hostName(host)),
              Self.port(host) == port else {
            return .refused(.misdirectedRequest, "ccglass answers only to 127.0.0.1:\(port) and localhost:\(port)")
        }
        if let origin = request.headers[.origin], origin != "null" {
            guard let url = URL(string: origin), let originHost = url.host, hosts.contains(Self.hostName(originHost)),
                  url.port == port else {
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

    static func hostName(_ authority: String) -> String {
        if authority.hasPrefix("[") { return String(authority.prefix { $0 != "]" }) + "]" }
        return String(authority.prefix { $0 != ":" })
    }

    static func port(_ authority: String) -> Int? {
        guard let colon = authority.lastIndex(of: ":"), !authority[colon...].contains("]") else { return 80 }
        return Int(authority[authority.index(after: colon)...])
    }

    /// Constant-time comparison, so the token cannot be guessed a character at a time.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// The install's token, `<home>/token`, created on first use (readable by its owner only).
    public static func token(home: URL) -> String {
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
public struct DashboardAccessMiddleware<Context: RequestContext>: RouterMiddleware {
    let access: DashboardAccess

    public init(_ access: DashboardAccess) {
        self.access = access
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
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
