import Foundation
import Hummingbird
import Proxy

extension Router {
    /// `GET /api/live` (newest first) and `GET /api/live/:id`: exchanges this process has seen,
    /// in flight ones included, as JSON with bodies base64-encoded.
    public func addLiveRoutes(_ recent: RecentExchanges) {
        get("api/live") { request, _ -> Response in
            let limit = request.uri.queryParameters.get("limit", as: Int.self) ?? 100
            return try JSONResponse.encode(recent.list(limit: min(max(limit, 1), 1000)))
        }
        get("api/live/:id") { _, context -> Response in
            let id = try context.parameters.require("id")
            guard let exchange = recent.exchange(id: id) else { throw HTTPError(.notFound) }
            return try JSONResponse.encode(exchange)
        }
    }
}

/// JSON responses with ISO 8601 dates and sorted keys.
public enum JSONResponse {
    public static func encode<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
