import Synchronization

/// The names this listener answers to. A request whose `Host` names anything else is either a DNS
/// rebinding attempt or a client using ccglass as a forward proxy (`GET http://elsewhere/…`): both are
/// refused, so ccglass only ever relays to the upstreams configured here.
package final class ListenerAddress: Sendable {
    /// Host names allowed in `Host` (loopback names, plus an explicit non-loopback `--host`).
    package let hosts: Set<String>
    private let boundPort = Atomic<Int>(0)

    package init(extraHost: String? = nil) {
        var hosts: Set<String> = ["127.0.0.1", "localhost", "[::1]"]
        if let extraHost { hosts.insert(extraHost.contains(":") && !extraHost.hasPrefix("[") ? "[\(extraHost)]" : extraHost) }
        self.hosts = hosts
    }

    /// The listener's port, known once it is bound.
    package var port: Int { boundPort.load(ordering: .relaxed) }

    package func bound(to port: Int) { boundPort.store(port, ordering: .relaxed) }

    /// True when `authority` (`host:port`) names this listener.
    package func accepts(authority: String?) -> Bool {
        guard let authority else { return false }
        return hosts.contains(Self.hostName(authority)) && Self.port(authority) == port
    }

    /// True when `host` and `port` (from an `Origin`) name this listener.
    package func accepts(host: String, port: Int?) -> Bool {
        hosts.contains(Self.hostName(host)) && port == self.port
    }

    static func hostName(_ authority: String) -> String {
        if authority.hasPrefix("[") { return String(authority.prefix { $0 != "]" }) + "]" }
        return String(authority.prefix { $0 != ":" })
    }

    static func port(_ authority: String) -> Int? {
        guard let colon = authority.lastIndex(of: ":"), !authority[colon...].contains(Character("]")) else { return 80 }
        return Int(authority[authority.index(after: colon)...])
    }
}
