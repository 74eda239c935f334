import Foundation
import NIOCore
import Testing
@testable import Proxy

@Suite struct ContentDecoderTests {
    /// gzip of `text` made by the system's gzip, via a pipe.
    static func gzip(_ data: Data) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-c"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(data)
        try input.fileHandleForWriting.close()
        let result = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return result
    }

    @Test func inflatesAGzipStreamCutIntoAnyPieces() throws {
        let text = Data((0..<4000).map { "data: {\"n\":\($0)}\n\n" }.joined().utf8)
        let compressed = try Self.gzip(text)
        for size in [1, 7, 512, compressed.count] {
            let decoder = try #require(try ContentDecoder.make(contentEncoding: "gzip"))
            var out = Data()
            var offset = 0
            while offset < compressed.count {
                let piece = compressed[offset..<min(offset + size, compressed.count)]
                try decoder.decode(ByteBuffer(bytes: piece)) { out.append(contentsOf: $0.readableBytesView) }
                offset += size
            }
            #expect(out == text, "pieces of \(size)")
        }
    }

    @Test func identityNeedsNoDecoderAndBrotliIsRefused() throws {
        #expect(try ContentDecoder.make(contentEncoding: nil) == nil)
        #expect(try ContentDecoder.make(contentEncoding: "identity") == nil)
        #expect(throws: ContentDecoderError.self) { try ContentDecoder.make(contentEncoding: "br") }
    }
}
