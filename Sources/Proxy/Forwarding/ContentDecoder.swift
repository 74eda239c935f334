import CompressNIO
import Foundation
import NIOCore

/// Inflates a copy of a compressed response for the parser, chunk by chunk; the client gets the
/// compressed bytes untouched. Handles `gzip`/`x-gzip` and `deflate` (zlib-wrapped, or raw as some
/// servers send it).
final class ContentDecoder {
    private var inflater: ZlibDecompressor
    private var algorithm: ZlibAlgorithm
    private var window = ByteBuffer()
    private var sawOutput = false

    /// nil for identity; throws `unsupported` for codings zlib cannot read (br, zstd).
    static func make(contentEncoding: String?) throws -> ContentDecoder? {
        guard let coding = contentEncoding?.trimmingCharacters(in: .whitespaces).lowercased(),
              !coding.isEmpty, coding != "identity" else { return nil }
        switch coding {
        case "gzip", "x-gzip": return try ContentDecoder(.gzip)
        case "deflate": return try ContentDecoder(.zlib)
        default: throw ContentDecoderError.unsupported(coding)
        }
    }

    private init(_ algorithm: ZlibAlgorithm) throws {
        self.algorithm = algorithm
        self.inflater = try ZlibDecompressor(algorithm: algorithm)
        window.reserveCapacity(64 * 1024)
    }

    /// Inflates `chunk` and hands every decoded piece to `output`.
    func decode(_ chunk: ByteBuffer, output: (ByteBuffer) throws -> Void) throws {
        var input = chunk
        var outputPending = false
        while input.readableBytes > 0 || outputPending {
            window.clear(minimumCapacity: 64 * 1024)
            do {
                if input.readableBytes > 0 {
                    try inflater.inflate(from: &input, to: &window)
                } else {
                    var none = Self.noInput
                    try inflater.inflate(from: &none, to: &window)
                }
                try emit(output)
                outputPending = false
                // A gzip member ended with more after it: the next member starts here.
                if input.readableBytes > 0 { try inflater.reset() }
            } catch let error as CompressNIOError where error == .bufferOverflow {
                try emit(output)
                outputPending = true
            } catch let error as CompressNIOError where error == .inputBufferOverflow {
                try emit(output)
                outputPending = false
            } catch let error as CompressNIOError where error == .corruptData && algorithm == .zlib && !sawOutput {
                // `deflate` without the zlib header: start over as raw deflate.
                algorithm = .deflate
                inflater = try ZlibDecompressor(algorithm: .deflate)
                input = chunk
            }
        }
    }

    /// An empty input with real storage behind it, to drain output zlib still holds.
    private static let noInput: ByteBuffer = {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(16)
        return buffer
    }()

    private func emit(_ output: (ByteBuffer) throws -> Void) rethrows {
        guard window.readableBytes > 0 else { return }
        sawOutput = true
        try output(window)
    }
}

enum ContentDecoderError: Error, CustomStringConvertible {
    case unsupported(String)

    var description: String {
        switch self {
        case .unsupported(let coding): return "response is \(coding)-encoded, which ccglass cannot decode; forwarded unread"
        }
    }
}
