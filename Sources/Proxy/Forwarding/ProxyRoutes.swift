import HTTPTypes

/// Which requests are relayed: origin-form requests addressed to this listener under `/<provider>/…`,
/// or `/_run/<id>/<provider>/…` (a wrapper run sharing a daemon tags its traffic this way). Anything
/// else, refusals included, is Hummingbird's to answer.
package struct ProxyRoutes: Sendable {
    let providers: ProviderTable
    /// When set, requests naming another host are not relayed (the default loopback listener).
    let address: ListenerAddress?
    /// Each provider's upstream URL taken apart once, not on every request.
    private let origins: [String: UpstreamOrigin]

    package init(providers: ProviderTable, address: ListenerAddress?) {
        self.providers = providers
        self.address = address
        origins = Dictionary(providers.providers.map { ($0.name, UpstreamOrigin($0.upstream)) }, uniquingKeysWith: { $1 })
    }

    struct Match {
        let provider: Provider
        let origin: UpstreamOrigin
        let target: Substring
        let runID: String?
    }

    func match(_ head: HTTPRequest) -> Match? {
        guard head.method != .connect else { return nil }
        if let address, !address.accepts(authority: head.authority) { return nil }
        var target = Substring(head.path ?? "/")
        var runID: String?
        if target.hasPrefix("/_run/") {
            let rest = target.dropFirst("/_run/".count)
            let end = rest.firstIndex(of: "/") ?? rest.endIndex
            runID = String(rest[..<end])
            target = rest[end...]
        }
        guard let (provider, rest) = providers.route(target) else { return nil }
        return Match(provider: provider, origin: origins[provider.name] ?? UpstreamOrigin(provider.upstream),
                     target: rest, runID: runID)
    }
}
