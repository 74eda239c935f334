import Foundation
import Proxy
@testable import Exporters

/// Builds exchanges as the proxy would, for the store tests.
enum StoreFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()

    static func claudeCodeFixture(_ name: String) throws -> (headers: [HeaderField], body: Data, object: [String: Any]) {
        let url = root.appendingPathComponent("Fixtures/claude-code/\(name)")
        let fixture = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        let headers = (fixture["headers"] as! [[String]]).map { HeaderField($0[0], $0[1]) }
        let body = try JSONSerialization.data(withJSONObject: fixture["body"]!, options: [.withoutEscapingSlashes])
        return (headers, body, fixture["body"] as! [String: Any])
    }

    static func tempStore() throws -> HistoryStore {
        try HistoryStore(url: try TemporaryFolder.path("store").appendingPathComponent("history.sqlite"))
    }

    static let provider = Provider.presets[0]

    static func exchange(body: Data, session: String? = nil, run: String? = nil, client userAgent: String = "claude-cli/2.1.332",
                         at date: Date = Date(), usage: Usage? = Usage(inputTokens: 100, outputTokens: 10),
                         headers: [HeaderField] = [HeaderField("x-api-key", "…wxyz")]) -> Exchange {
        var exchange = Exchange(id: ExchangeID.make(at: date), startedAt: date, provider: provider, method: "POST",
                                target: "/v1/messages?beta=true", format: .anthropicMessages, userAgent: userAgent,
                                requestHeaders: headers)
        exchange.sessionID = session
        exchange.runID = run
        exchange.requestBody = body
        exchange.requestBytes = body.count
        if let object = JSON.object(body) {
            exchange.request = WireFormatKind.anthropicMessages.prompt(request: object, path: "/v1/messages").summary
        }
        exchange.responseBody = Data("event: message_stop\ndata: {}\n\n".utf8)
        exchange.status = 200
        exchange.outcome = .ok
        exchange.phase = .finished
        exchange.response.usage = usage
        exchange.response.model = "claude-sonnet-4-5"
        exchange.timings.end = 1.5
        return exchange
    }
}
