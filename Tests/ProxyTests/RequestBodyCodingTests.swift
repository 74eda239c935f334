import CZstd
import Foundation
import Logging
import NIOCore
import Testing
@testable import Proxy

@Suite struct RequestBodyCodingTests {
    static func zstd(_ data: Data, level: Int32 = 3) -> Data {
        var out = [UInt8](repeating: 0, count: ZSTD_compressBound(data.count))
        let size = data.withUnsafeBytes { ZSTD_compress(&out, out.count, $0.baseAddress, data.count, level) }
        precondition(ZSTD_isError(size) == 0)
        return Data(out[..<size])
    }

    static let body = Data(#"{"model":"gpt-5.5","instructions":"You are Codex.","input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"say hi"}]}],"stream":true}"#.utf8)

    @Test func zstdAndGzipBodiesAreReadAndBrokenOnesSayWhy() throws {
        #expect(try RequestBodyCoding.decode(Self.body, contentEncoding: nil) == nil)
        #expect(try RequestBodyCoding.decode(Self.body, contentEncoding: "identity") == nil)
        #expect(try RequestBodyCoding.decode(Self.zstd(Self.body), contentEncoding: "zstd") == Self.body)
        // Two frames back to back are one body.
        #expect(try RequestBodyCoding.decode(Self.zstd(Self.body) + Self.zstd(Self.body), contentEncoding: " ZSTD ") == Self.body + Self.body)
        // A body larger than one output window.
        let large = Data((0..<200_000).map { "\($0)," }.joined().utf8)
        #expect(try RequestBodyCoding.decode(Self.zstd(large, level: 1), contentEncoding: "zstd") == large)
        #expect(try RequestBodyCoding.decode(try ContentDecoderTests.gzip(Self.body), contentEncoding: "gzip") == Self.body)
        let cut = Self.zstd(large).dropLast(10)
        #expect(throws: RequestBodyCoding.Failure.corrupt("the zstd frame is cut short")) { try RequestBodyCoding.decode(Data(cut), contentEncoding: "zstd") }
        #expect(throws: RequestBodyCoding.Failure.unsupported("br")) { try RequestBodyCoding.decode(Self.body, contentEncoding: "br") }
        #expect { try RequestBodyCoding.decode(Self.body, contentEncoding: "zstd") } throws: { "\($0)".contains("could not be decoded") }
    }

    @Test func aBombStopsAtTheLimit() throws {
        // 80 MB of zeros compress to a few KB.
        let bomb = Self.zstd(Data(count: 80 << 20), level: 1)
        #expect(bomb.count < 1 << 20)
        #expect(throws: RequestBodyCoding.Failure.tooLarge) { try RequestBodyCoding.decode(bomb, contentEncoding: "zstd") }
    }

    /// Codex signed in with ChatGPT sends zstd bodies: the recorder reads the prompt, keeps the body
    /// decoded, and notes the coding it came in; the wire count stays the compressed size.
    @Test(.timeLimit(.minutes(1))) func theRecorderReadsACompressedRequest() async throws {
        let failures = FailureLog(logger: Logger(label: "test"))
        let bus = ExchangeBus(failures: failures)
        let context = ProxyContext(providers: ProviderTable(), prices: PriceTable(), bus: bus, failures: failures, logger: Logger(label: "test"))
        var finished = bus.subscribe("test", kinds: [.finished]).events.makeAsyncIterator()
        let compressed = Self.zstd(Self.body)
        let exchange = Exchange(id: ExchangeID.make(), startedAt: Date(), provider: Provider.presets[1], method: "POST", target: "/codex/responses",
                                format: .openAIResponses, userAgent: "codex_exec/0.147.0",
                                requestHeaders: [HeaderField("content-encoding", "zstd"), HeaderField("content-type", "application/json"),
                                                 HeaderField("Content-Length", String(compressed.count))])
        let recorder = ExchangeRecorder(exchange: exchange, started: .now, context: context)
        recorder.requestChunk(ByteBuffer(bytes: compressed))
        recorder.requestEnded()
        recorder.end(tap: nil)  // as the relay ends it: published now, or once an off-loop parse is done
        let seen = [await finished.next()?.exchange].compactMap { $0 }
        let recorded = try #require(seen.first)
        #expect(recorded.request.model == "gpt-5.5" && recorded.request.parsed)
        #expect(recorded.requestBody == Self.body && recorded.requestContentEncoding == "zstd")
        #expect(recorded.requestBytes == compressed.count)
        // What an export or a replay sends with the decoded body: no coding, its own length.
        #expect(recorded.requestHeadersForBody == [HeaderField("content-type", "application/json"), HeaderField("Content-Length", String(Self.body.count))])
        #expect(failures.count(.parse) == 0 && failures.count(.decode) == 0)
    }
}
