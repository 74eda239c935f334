import Hummingbird

/// The listener's front door: `/<provider>/…` is forwarded; everything else (dashboard, API,
/// `/metrics`) goes to `fallback`.
public struct ProxyResponder<Fallback: HTTPResponder>: HTTPResponder {
    public typealias Context = Fallback.Context
    let forwarder: Forwarder
    let providers: ProviderTable
    let fallback: Fallback

    public init(forwarder: Forwarder, providers: ProviderTable, fallback: Fallback) {
        self.forwarder = forwarder
        self.providers = providers
        self.fallback = fallback
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        var target = Substring(request.head.path ?? "/")
        // `/_run/<id>/<provider>/…`: a wrapper run sharing a daemon tags its traffic this way.
        var runID: String?
        if target.hasPrefix("/_run/") {
            let rest = target.dropFirst("/_run/".count)
            let end = rest.firstIndex(of: "/") ?? rest.endIndex
            runID = String(rest[..<end])
            target = rest[end...]
        }
        if let (provider, rest) = providers.route(target) {
            return await forwarder.forward(request, to: provider, target: rest, runID: runID)
        }
        return try await fallback.respond(to: request, context: context)
    }
}

/// Answers an unknown path with a JSON 404 that names the proxy routes, so a mistyped base URL
/// explains itself in the agent's error message.
public struct UnknownRouteMiddleware<Context: RequestContext>: RouterMiddleware {
    let providers: [String]

    public init(providers: [String]) {
        self.providers = providers
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            return ErrorResponse.json(
                status: .notFound, type: "not_found",
                message: "ccglass: no route for \((request.head.path ?? "/").prefix(200)). Proxy routes are /<provider>/..., known providers: \(providers.joined(separator: ", "))")
        }
    }
}
