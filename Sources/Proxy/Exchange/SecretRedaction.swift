import Foundation

/// Keeps credentials out of everything ccglass records: a secret header value becomes a fingerprint
/// (its last four characters), so two keys can be told apart but neither can be recovered.
package enum SecretRedaction {
    static let secretHeaders: Set<String> = [
        "authorization", "proxy-authorization", "x-api-key", "api-key", "cookie", "set-cookie",
        "x-goog-api-key", "openai-organization-key", "anthropic-admin-key", "x-auth-token",
    ]

    /// True for headers whose value must never be stored, logged or exported.
    package static func isSecret(header name: String) -> Bool {
        let lower = name.lowercased()
        if secretHeaders.contains(lower) { return true }
        return lower.hasSuffix("-api-key") || lower.hasSuffix("-token") || lower.containsIgnoringCase("secret")
    }

    /// `Bearer sk-ant-…` → `Bearer …wxyz`; short values lose everything.
    package static func fingerprint(_ value: String) -> String {
        var scheme = ""
        var secret = Substring(value)
        if let space = value.firstIndex(of: " ") {
            scheme = String(value[...space])
            secret = value[value.index(after: space)...]
        }
        guard secret.count >= 12 else { return scheme + "[redacted]" }
        return scheme + "…" + secret.suffix(4)
    }

    /// The headers with every secret value replaced by its fingerprint.
    package static func redact(_ headers: [(String, String)]) -> [(String, String)] {
        headers.map { isSecret(header: $0.0) ? ($0.0, fingerprint($0.1)) : $0 }
    }

    package static func redact(_ headers: [HeaderField]) -> [HeaderField] {
        headers.map { isSecret(header: $0.name) ? HeaderField($0.name, fingerprint($0.value)) : $0 }
    }

    static let secretQueryNames: Set<String> = ["key", "api_key", "apikey", "access_token", "token"]

    /// A request target with credential query parameters (`?key=…`) fingerprinted.
    package static func redact(target: String) -> String {
        guard let q = target.firstIndex(of: "?") else { return target }
        let query = target[target.index(after: q)...].split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, secretQueryNames.contains(parts[0].lowercased()) else { return String(pair) }
            return "\(parts[0])=\(fingerprint(String(parts[1])))"
        }
        return target[...q] + query.joined(separator: "&")
    }
}
