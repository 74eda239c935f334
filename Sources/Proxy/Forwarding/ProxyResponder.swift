import Hummingbird

/// Hummingbird's side of the listener: what `RelayHandler` did not relay. Refuses forward-proxy use,
/// and passes everything else (dashboard, API, `/metrics`) to `fallback`.
package struct ProxyResponder<Fallback: HTTPResponder>: HTTPResponder {
    package typealias Context = Fallback.Context
    let fallback: Fallback
    /// When set, requests naming another host are refused (the default loopback listener).
    let address: ListenerAddress?

    package init(fallback: Fallback, address: ListenerAddress?) {
        self.fallback = fallback
        self.address = address
    }

    package func respond(to request: Request, context: Context) async throws -> Response {
        // Not an open proxy: only origin-form requests to the routes configured here.
        if request.method == .connect {
            var refusal = ErrorResponse.json(status: .methodNotAllowed, type: "not_a_forward_proxy",
                                             message: "ccglass is not a forward proxy: CONNECT is refused. Set your agent's base URL to a ccglass route instead.")
            refusal.headers[.connection] = "close"  // a CONNECT leaves nothing parseable behind it on this connection
            return refusal
        }
        if let address, !address.accepts(authority: request.head.authority) {
            return ErrorResponse.json(status: .misdirectedRequest, type: "not_a_forward_proxy",
                                      message: "ccglass answers only to its own address (127.0.0.1:\(address.port)); it is not a forward proxy. Set your agent's base URL to a ccglass route instead.")
        }
        return try await fallback.respond(to: request, context: context)
    }
}

/// Answers an unknown path with a JSON 404 that names the proxy routes, so a mistyped base URL
/// explains itself in the agent's error message.
package struct UnknownRouteMiddleware<Context: RequestContext>: RouterMiddleware {
    let providers: [String]

    package init(providers: [String]) {
        self.providers = providers
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            return ErrorResponse.json(
                status: .notFound, type: "not_found",
                message: "ccglass: no route for \((request.head.path ?? "/").prefix(200)). Proxy routes are /<provider>/..., known providers: \(providers.joined(separator: ", "))")
        }
    }
}
