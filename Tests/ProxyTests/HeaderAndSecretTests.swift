import Foundation
import Testing
@testable import Proxy

@Suite struct HeaderPolicyTests {
    @Test func hopByHopHostAndLengthAreDroppedEverythingElseKept() {
        let headers = [("Host", "127.0.0.1:8123"), ("Connection", "keep-alive, X-Drop-Me"), ("X-Drop-Me", "1"),
                       ("Content-Length", "10"), ("Transfer-Encoding", "chunked"), ("anthropic-beta", "a,b"),
                       ("x-api-key", "k"), ("TE", "trailers"), ("User-Agent", "claude-cli/2.1")]
        let out = HeaderPolicy.upstreamRequestHeaders(headers)
        #expect(out.map(\.0) == ["anthropic-beta", "x-api-key", "User-Agent"])
    }

    @Test func acceptEncodingIsNarrowedToWhatZlibDecodes() {
        #expect(HeaderPolicy.narrowAcceptEncoding("gzip, deflate, br, zstd") == "gzip, deflate")
        #expect(HeaderPolicy.narrowAcceptEncoding("br;q=1.0, gzip;q=0.8") == "gzip;q=0.8")
        #expect(HeaderPolicy.narrowAcceptEncoding("br, zstd") == "identity")
        #expect(HeaderPolicy.narrowAcceptEncoding("*") == "identity")
    }

    @Test func responseKeepsContentLengthAndDropsFraming() {
        let out = HeaderPolicy.clientResponseHeaders([("Content-Length", "5"), ("Transfer-Encoding", "chunked"), ("Keep-Alive", "timeout=5"), ("request-id", "r")])
        #expect(out.map(\.0) == ["Content-Length", "request-id"])
    }
}

@Suite struct SecretRedactionTests {
    @Test func secretsBecomeFingerprints() {
        let redacted = SecretRedaction.redact([HeaderField("x-api-key", "test-key-abcdefghijklmnop-wxyz"),
                                               HeaderField("Authorization", "Bearer test-token-0123456789abcdef"),
                                               HeaderField("Cookie", "a=b"),
                                               HeaderField("anthropic-version", "2023-06-01")])
        #expect(redacted.map(\.value) == ["…wxyz", "Bearer …cdef", "[redacted]", "2023-06-01"])
    }

    /// Any header naming a secret, however it is cased, and only those.
    @Test(arguments: [("X-Client-SECRET", true), ("client_secret_hash", true), ("x-my-Api-Key", true), ("X-Session-Token", true),
                      ("x-secre", false), ("anthropic-beta", false), ("X-Request-Id", false)])
    func secretHeadersWhateverTheirCase(name: String, secret: Bool) {
        #expect(SecretRedaction.isSecret(header: name) == secret)
    }

    @Test func caseInsensitiveSearch() {
        #expect("Keep-Alive, CLOSE".containsIgnoringCase("close"))
        #expect("text/Event-Stream; charset=utf-8".containsIgnoringCase("text/event-stream"))
        #expect(!"keep-alive".containsIgnoringCase("close") && !"clos".containsIgnoringCase("close"))
        #expect("Content-Encoding".equalsIgnoringCase("content-encoding") && !"Content-Encodings".equalsIgnoringCase("content-encoding"))
        let headers = [HeaderField("X-Claude-Code-Session-Id", "s1"), HeaderField("content-encoding", "zstd")]
        #expect(headers.value(of: "x-claude-code-session-id") == "s1" && headers.value(of: "content-encoding") == "zstd")
        #expect(headers.value(of: "content-type") == nil)
        #expect("".containsIgnoringCase("") && !"".containsIgnoringCase("a"))
    }

    @Test func credentialQueryParametersAreFingerprinted() {
        #expect(SecretRedaction.redact(target: "/v1/models?key=test-key-0123456789abcd&beta=true") == "/v1/models?key=…abcd&beta=true")
        #expect(SecretRedaction.redact(target: "/v1/messages?beta=true") == "/v1/messages?beta=true")
    }
}

@Suite struct RoutingTests {
    @Test func firstSegmentPicksTheProviderAndTheRestIsKeptVerbatim() throws {
        let table = ProviderTable()
        let (provider, rest) = try #require(table.route("/anthropic/v1/messages?beta=true"))
        #expect(provider.name == "anthropic" && rest == "/v1/messages?beta=true")
        #expect(table.route("/anthropicx/v1") == nil)
        #expect(table.route("/openai")?.1 == "")
        #expect(Provider(name: "moonshot", upstream: URL(string: "https://api.moonshot.ai/anthropic/")!, otelName: "moonshot_ai", baseURLVariable: "X").upstreamURL("/v1/messages") == "https://api.moonshot.ai/anthropic/v1/messages")
    }

    @Test func upstreamOverridesAreValidated() throws {
        var table = ProviderTable()
        try table.apply(override: "anthropic=http://127.0.0.1:9000/base")
        #expect(table["anthropic"]?.upstream.absoluteString == "http://127.0.0.1:9000/base")
        try table.apply(override: "acme=https://llm.acme.dev")
        #expect(table["acme"]?.clientBasePath == "/v1")
        #expect(throws: ProviderTableError.self) { try table.apply(override: "nope") }
        #expect(throws: ProviderTableError.self) { try table.apply(override: "x=ftp://host") }
    }
}

@Suite struct ClientAndSessionTests {
    @Test func clientsFromUserAgents() {
        #expect(ClientIdentity.client(userAgent: "claude-cli/2.1.332 (external, sdk-cli)") == "claude-code")
        #expect(ClientIdentity.client(userAgent: "codex_cli_rs/0.60.1 (Linux; x86_64)") == "codex")
        #expect(ClientIdentity.client(userAgent: "Anthropic/Python 2.14.0") == "anthropic-python")
        #expect(ClientIdentity.client(userAgent: "AsyncOpenAI/Python 3.57.0") == "openai-python")
        #expect(ClientIdentity.client(userAgent: "Mozilla/5.0") == "other")
        #expect(ClientIdentity.client(userAgent: nil) == "unknown")
    }

    @Test func sessionFromHeaderThenMetadata() {
        var request = RequestSummary(parsed: true)
        request.metadataUserID = #"{"device_id":"d","account_uuid":"","session_id":"s-json"}"#
        #expect(SessionIdentity.session(headers: [HeaderField("X-Claude-Code-Session-Id", "s-header")], request: request) == "s-header")
        #expect(SessionIdentity.session(headers: [], request: request) == "s-json")
        request.metadataUserID = "user_abc_account_def_session_1234-5678"
        #expect(SessionIdentity.session(headers: [], request: request) == "1234-5678")
        #expect(SessionIdentity.session(headers: [], request: RequestSummary(parsed: true)) == nil)
    }
}
