import Foundation
import NIOCore

/// A stored response body made readable again: inflated when it was sent compressed.
package enum ResponseBodyText {
    /// The decoded bytes; nil when the coding is unknown or the bytes are broken.
    package static func decode(_ body: Data, contentEncoding: String?) -> Data? {
        let made: ContentDecoder?
        do {
            made = try ContentDecoder.make(contentEncoding: contentEncoding)
        } catch {
            return nil
        }
        guard let decoder = made else { return body }
        var out = Data()
        do {
            try decoder.decode(ByteBuffer(bytes: body)) { out.append(contentsOf: $0.readableBytesView) }
        } catch {
            return nil
        }
        return out
    }
}
