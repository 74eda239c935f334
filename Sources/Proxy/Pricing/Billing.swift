/// How the user pays for an exchange's tokens, told from the route and the credential it carried
/// (read before redaction; only the answer is kept).
package enum Billing: String, Sendable, Codable {
    /// An API key: billed per token, at the price table's rates.
    case perToken = "per-token"
    /// A subscription sign-in (Claude Pro/Max, ChatGPT, a Google account): not billed per token, so its
    /// cost is what the same tokens would cost on the API, and is shown as "API-equivalent".
    case subscription

    /// Routes only a signed-in client uses: ChatGPT's Codex backend and Google's Code Assist.
    static let signInProviders: Set<String> = ["chatgpt", "code-assist"]

    package static func of(provider: String, headers: [(String, String)]) -> Billing {
        if signInProviders.contains(provider) { return .subscription }
        // Claude Code signed in to a Claude plan sends its OAuth access token as a bearer and opts into
        // the OAuth beta; with an API key it sends `x-api-key`.
        for (name, value) in headers {
            switch name.lowercased() {
            case "authorization" where value.hasPrefix("Bearer sk-ant-oat"): return .subscription
            case "anthropic-beta" where value.contains("oauth-"): return .subscription
            default: continue
            }
        }
        return .perToken
    }

    /// Whether a cost under this billing is the API-equivalent rather than a charge.
    package var apiEquivalent: Bool { self == .subscription }

    /// How much of a total `cost` its `apiEquivalent` part is, for every place that shows one.
    package enum Share: Equatable { case none, part, all }

    package static func share(of cost: Double, apiEquivalent: Double) -> Share {
        apiEquivalent <= 0 ? .none : apiEquivalent >= cost * (1 - 1e-9) ? .all : .part
    }
}
