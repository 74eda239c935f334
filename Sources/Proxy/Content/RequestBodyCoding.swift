import CZstd
import Foundation
import NIOCore

/// A request body its client compressed (`Content-Encoding`), inflated for the parser and the history;
/// upstream got the compressed bytes. Codex 0.147 signed in with ChatGPT sends `zstd` over HTTP; gzip and
/// deflate are read too.
package enum RequestBodyCoding {
    /// A body inflates to at most this: far past any model's context, so more is not a prompt but a bomb.
    package static let limit = 64 << 20

    package enum Failure: Error, CustomStringConvertible, Equatable {
        case unsupported(String)
        case corrupt(String)
        case tooLarge

        package var description: String {
            switch self {
            case .unsupported(let coding): return "request body is \(coding)-encoded, which ccglass cannot decode; forwarded, recorded unread"
            case .corrupt(let why): return "compressed request body could not be decoded (\(why)); forwarded, recorded unread"
            case .tooLarge: return "compressed request body inflates past \(RequestBodyCoding.limit >> 20) MB; forwarded, recorded unread"
            }
        }
    }

    /// The decoded body; nil when it was not encoded.
    package static func decode(_ body: Data, contentEncoding: String?) throws(Failure) -> Data? {
        guard let coding = contentEncoding?.trimmingCharacters(in: .whitespaces).lowercased(), !coding.isEmpty, coding != "identity" else {
            return nil
        }
        switch coding {
        case "zstd": return try zstd(body)
        case "gzip", "x-gzip", "deflate": return try zlib(body, coding: coding)
        default: throw .unsupported(coding)
        }
    }

    static func zlib(_ body: Data, coding: String) throws(Failure) -> Data {
        var out = Data()
        do {
            guard let decoder = try ContentDecoder.make(contentEncoding: coding) else { return body }
            try decoder.decode(ByteBuffer(bytes: body)) { piece in
                guard out.count + piece.readableBytes <= limit else { throw Failure.tooLarge }
                out.append(contentsOf: piece.readableBytesView)
            }
        } catch let failure as Failure {
            throw failure
        } catch {
            throw .corrupt("\(error)")
        }
        return out
    }

    static func zstd(_ body: Data) throws(Failure) -> Data {
        guard !body.isEmpty else { return body }
        guard let stream = ZSTD_createDStream() else { throw .corrupt("zstd could not allocate") }
        defer { ZSTD_freeDStream(stream) }
        var out = Data()
        var window = [UInt8](repeating: 0, count: ZSTD_DStreamOutSize())
        var pending = 0  // what the last call said is left of the current frame (0: it ended)
        let failure: Failure? = body.withUnsafeBytes { raw -> Failure? in
            var input = ZSTD_inBuffer(src: raw.baseAddress, size: raw.count, pos: 0)
            while true {
                let (produced, filled): (Int, Bool) = window.withUnsafeMutableBytes { buffer in
                    var output = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
                    pending = ZSTD_decompressStream(stream, &output, &input)
                    if ZSTD_isError(pending) == 0 { out.append(buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), count: output.pos) }
                    return (output.pos, output.pos == output.size)
                }
                if ZSTD_isError(pending) != 0 { return .corrupt(String(cString: ZSTD_getErrorName(pending))) }
                if out.count > limit { return .tooLarge }
                // A full window may hold back more output; otherwise stop when the input is used up.
                if !filled && input.pos == input.size { break }
                if produced == 0 && input.pos == input.size { break }
            }
            return pending == 0 ? nil : .corrupt("the zstd frame is cut short")
        }
        if let failure { throw failure }
        return out
    }
}
