import CompressNIO
import Foundation
import NIOCore
import Proxy

/// An exchange's record as stored: JSON, zlib-compressed (a record is mostly repeated key names).
enum RecordCoding {
    /// A response body for disk: zlib-wrapped when that saves at least a tenth (SSE text shrinks
    /// several-fold; an already gzipped body is kept as is). Reading it back gives the received bytes.
    static func storable(_ body: Data) -> (bytes: Data, deflated: Bool) {
        guard body.count > 256 else { return (body, false) }
        var buffer = ByteBuffer(data: body)
        guard let compressed = try? buffer.compress(with: .zlib()), compressed.readableBytes < body.count * 9 / 10 else {
            return (body, false)
        }
        return (Data(compressed.readableBytesView), true)
    }

    static func received(_ stored: Data, deflated: Bool) throws -> Data {
        guard deflated else { return stored }
        var buffer = ByteBuffer(data: stored)
        return Data(try buffer.decompress(with: .zlib()).readableBytesView)
    }

    static func encode(_ exchange: Exchange) throws -> Data {
        var json = ByteBuffer(data: try HistoryStore.encoder.encode(exchange))
        let compressed = try json.compress(with: .zlib())
        return Data(compressed.readableBytesView)
    }

    static func decode(_ data: Data) throws -> Exchange {
        var buffer = ByteBuffer(data: data)
        let json = try buffer.decompress(with: .zlib())
        return try HistoryStore.decoder.decode(Exchange.self, from: Data(json.readableBytesView))
    }
}
