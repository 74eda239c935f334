import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Why upstream gave no (complete) answer, and what the client is told: a 502 or 504 with a JSON body
/// both Anthropic and OpenAI SDKs read as an API error (`error.type`, `error.message`).
struct UpstreamFailure: Equatable {
    let outcome: Exchange.Outcome
    let message: String

    init(_ error: any Error, upstream: URL, midStream: Bool = false) {
        let host = upstream.host ?? upstream.absoluteString
        if case UpstreamError.readTimeout = error {
            outcome = .upstreamTimeout
            message = "ccglass: \(host) sent nothing within the read timeout"
        } else if midStream {
            outcome = .upstreamDropped
            message = "ccglass: \(host) closed the connection mid-response (\(error))"
        } else {
            outcome = .upstreamUnreachable
            message = "ccglass: could not reach \(upstream.absoluteString) (\(error))"
        }
    }

    var status: HTTPResponse.Status {
        outcome == .upstreamTimeout ? .gatewayTimeout : .badGateway
    }
}

/// A JSON error body in the shape LLM SDKs already parse.
package enum ErrorResponse {
    package static func json(status: HTTPResponse.Status, type: String, message: String) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: ResponseBody(byteBuffer: body(type: type, message: message)))
    }

    static func body(type: String, message: String) -> ByteBuffer {
        let body: [String: Any] = ["type": "error", "error": ["type": type, "message": message]]
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return ByteBuffer(bytes: data)
    }
}
