import Foundation

/// The providers one listener serves, looked up by the first path segment of a request.
package struct ProviderTable: Sendable {
    package private(set) var providers: [Provider]

    package init(_ providers: [Provider] = Provider.presets) {
        self.providers = providers
    }

    /// Points `name` at `url`; a name that is no preset becomes a new OpenAI-compatible provider.
    package mutating func setUpstream(_ name: String, _ url: URL) {
        if let index = providers.firstIndex(where: { $0.name == name }) {
            providers[index].upstream = url
        } else {
            providers.append(Provider(name: name, upstream: url, otelName: name,
                                      baseURLVariable: name.uppercased() + "_BASE_URL", clientBasePath: "/v1"))
        }
    }

    /// Parses `--upstream NAME=URL`.
    package mutating func apply(override spec: String) throws {
        guard let eq = spec.firstIndex(of: "=") else { throw ProviderTableError.badOverride(spec) }
        let name = String(spec[..<eq]).lowercased()
        let value = String(spec[spec.index(after: eq)...])
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }),
              let url = URL(string: value), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil
        else { throw ProviderTableError.badOverride(spec) }
        setUpstream(name, url)
    }

    package subscript(name: String) -> Provider? {
        providers.first { $0.name == name }
    }

    package var names: [String] { providers.map(\.name) }

    /// Splits a raw request target (`/anthropic/v1/messages?beta=true`) into its provider and the rest
    /// (`/v1/messages?beta=true`), byte for byte.
    package func route(_ target: Substring) -> (Provider, Substring)? {
        guard target.first == "/" else { return nil }
        let afterSlash = target.dropFirst()
        let end = afterSlash.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? afterSlash.endIndex
        let name = afterSlash[..<end]
        guard let provider = providers.first(where: { $0.name == name }) else { return nil }
        let rest = afterSlash[end...]
        return (provider, rest)
    }
}

package enum ProviderTableError: Error, CustomStringConvertible {
    case badOverride(String)

    package var description: String {
        switch self {
        case .badOverride(let spec):
            return "invalid --upstream '\(spec)': expected NAME=URL with an http(s) URL, e.g. anthropic=http://127.0.0.1:9000"
        }
    }
}
