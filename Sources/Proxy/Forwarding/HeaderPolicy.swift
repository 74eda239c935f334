import Foundation

/// Which headers cross the proxy, and how. Everything passes except `Host`, hop-by-hop headers and
/// framing, which each side sets for its own connection.
package enum HeaderPolicy {
    /// RFC 9110 §7.6.1 connection-specific headers; HTTP/2 upstreams reject them outright.
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer",
        "upgrade", "proxy-authenticate", "proxy-authorization",
    ]

    /// Whether the request asks to become a WebSocket (`Connection: Upgrade`, `Upgrade: websocket`).
    package static func isWebSocketUpgrade(_ headers: [(String, String)]) -> Bool {
        var connection = false, websocket = false
        for (name, value) in headers {
            switch name.lowercased() {
            case "connection": connection = connection || value.containsIgnoringCase("upgrade")
            case "upgrade": websocket = websocket || value.containsIgnoringCase("websocket")
            default: break
            }
        }
        return connection && websocket
    }

    /// Headers to send upstream, given the client's `(name, value)` pairs in order. A WebSocket upgrade
    /// keeps `Connection` and `Upgrade`: they are the request, not this hop's business.
    package static func upstreamRequestHeaders(_ headers: [(String, String)], upgrade: Bool = false) -> [(String, String)] {
        var dropped = droppedNames(headers)
        if upgrade { dropped.subtract(["connection", "upgrade"]) }
        var out: [(String, String)] = []
        out.reserveCapacity(headers.count)
        for (name, value) in headers {
            let lower = name.lowercased()
            if dropped.contains(lower) || lower == "host" || lower == "content-length" { continue }
            if lower == "accept-encoding" {
                out.append((name, narrowAcceptEncoding(value)))
            } else {
                out.append((name, value))
            }
        }
        return out
    }

    /// Headers to send to the client, given upstream's. `Content-Length` stays: the body is relayed unchanged.
    package static func clientResponseHeaders(_ headers: [(String, String)]) -> [(String, String)] {
        let dropped = droppedNames(headers)
        return headers.filter { !dropped.contains($0.0.lowercased()) }
    }

    /// Keeps only the codings ccglass can decode for its copy (gzip, deflate, identity), q-values intact.
    package static func narrowAcceptEncoding(_ value: String) -> String {
        let decodable: Set<String> = ["gzip", "x-gzip", "deflate", "identity", "*"]
        let kept = value.split(separator: ",").compactMap { part -> String? in
            let item = part.trimmingCharacters(in: .whitespaces)
            let coding = item.split(separator: ";", maxSplits: 1).first.map {
                $0.trimmingCharacters(in: .whitespaces).lowercased()
            } ?? ""
            guard decodable.contains(coding) else { return nil }
            // `*` would let upstream pick br or zstd; spell out what we can read instead.
            return coding == "*" ? nil : item
        }
        return kept.isEmpty ? "identity" : kept.joined(separator: ", ")
    }

    private static func droppedNames(_ headers: [(String, String)]) -> Set<String> {
        var names = hopByHop
        for (name, value) in headers where name.lowercased() == "connection" {
            for token in value.split(separator: ",") {
                names.insert(token.trimmingCharacters(in: .whitespaces).lowercased())
            }
        }
        return names
    }
}

extension StringProtocol {
    /// Whether the text holds `needle` (given in lowercase), ASCII letters compared without case. For
    /// header names and values on the forwarding path, where Foundation's `contains` goes through
    /// CFString.
    func containsIgnoringCase(_ needle: String) -> Bool {
        let text = utf8, pin = needle.utf8
        var start = text.startIndex
        while true {
            var t = start, p = pin.startIndex
            while p != pin.endIndex, t != text.endIndex, Self.lowercased(text[t]) == pin[p] {
                text.formIndex(after: &t)
                pin.formIndex(after: &p)
            }
            if p == pin.endIndex { return true }
            if t == text.endIndex { return false }  // the rest is shorter than the needle
            text.formIndex(after: &start)
        }
    }

    /// Whether the text is `lower` (given in lowercase), ASCII letters compared without case, without
    /// the copy `lowercased()` makes.
    func equalsIgnoringCase(_ lower: String) -> Bool {
        utf8.count == lower.utf8.count && zip(utf8, lower.utf8).allSatisfy { Self.lowercased($0) == $1 }
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
    }
}
