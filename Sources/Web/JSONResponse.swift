import Foundation
import Hummingbird

/// JSON responses with ISO 8601 dates.
package enum JSONResponse {
    package static func encode<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return data(try encoder.encode(value), status: status)
    }

    package static func data(_ data: Data, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    package static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        let body = ["type": "error", "error": ["type": "\(status.code)", "message": message]] as [String: Any]
        return data((try? JSONSerialization.data(withJSONObject: body)) ?? Data(), status: status)
    }
}
