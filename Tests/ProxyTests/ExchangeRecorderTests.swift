import Foundation
import Logging
import NIOCore
import NIOPosix
import Testing
@testable import Proxy

@Suite struct ExchangeRecorderTests {
    /// Small bodies are parsed on the forwarding loop, large ones on the recording thread; either way
    /// the finished exchange carries the request's model and session, and the response's rate limits.
    @Test(.timeLimit(.minutes(1)), arguments: [1 << 10, 600 << 10])
    func theFinishedExchangeCarriesTheParsedRequest(size: Int) async throws {
        let failures = FailureLog(logger: Logger(label: "test"))
        let bus = ExchangeBus(failures: failures)
        let context = ProxyContext(providers: ProviderTable(), prices: PriceTable(), bus: bus, failures: failures,
                                   logger: Logger(label: "test"))
        var finished = bus.subscribe("test", kinds: [.finished]).events.makeAsyncIterator()
        let exchange = Exchange(id: ExchangeID.make(), startedAt: Date(), provider: Provider.presets[0], method: "POST",
                                target: "/v1/messages", format: .anthropicMessages, userAgent: "claude-cli/2.1.0", requestHeaders: [])
        let recorder = ExchangeRecorder(exchange: exchange, started: .now, context: context)
        let padding = String(repeating: "x", count: size)
        let body = #"{"model":"claude-opus-4-5","metadata":{"user_id":"{\"session_id\":\"s-42\"}"},"messages":[{"role":"user","content":"\#(padding)"}]}"#
        // In two pieces, as a body arrives.
        let bytes = Array(body.utf8)
        recorder.requestChunk(ByteBuffer(bytes: bytes[..<(bytes.count / 2)]))
        recorder.requestChunk(ByteBuffer(bytes: bytes[(bytes.count / 2)...]))
        // The two cases fall on either side of the line.
        #expect((bytes.count > ExchangeRecorder.offLoopParse) == (size == 600 << 10))
        recorder.requestEnded()
        recorder.upstreamHeaders(status: 200, headers: [HeaderField("anthropic-ratelimit-unified-5h-utilization", "0.25")], arrived: .now)
        recorder.end(tap: nil)  // as the relay ends it: published now, or once an off-loop parse is done
        let seen = [await finished.next()?.exchange].compactMap { $0 }
        bus.finish()
        let more = await finished.next()
        #expect(seen.count == 1 && more == nil, "published as finished once")
        #expect(seen.first?.request.model == "claude-opus-4-5")
        #expect(seen.first?.sessionID == "s-42")
        #expect(seen.first?.requestBytes == bytes.count)
        #expect(seen.first?.requestBody.count == bytes.count)
        #expect(seen.first?.rateLimits?.window("five_hour")?.used == 0.25, "the recorder reads the limits once, for every sink")
    }

    /// A count_tokens answer tells the prompt's size; the provider bills nothing for it.
    @Test(.timeLimit(.minutes(1))) func aTokenCountCostsNothing() async throws {
        let failures = FailureLog(logger: Logger(label: "test"))
        let bus = ExchangeBus(failures: failures)
        let pricing = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../data/pricing.json").standardized
        let context = ProxyContext(providers: ProviderTable(), prices: try PriceTable(json: Data(contentsOf: pricing)), bus: bus,
                                   failures: failures, logger: Logger(label: "test"))
        var finished = bus.subscribe("test", kinds: [.finished]).events.makeAsyncIterator()
        let exchange = Exchange(id: ExchangeID.make(), startedAt: Date(), provider: Provider.presets[0], method: "POST",
                                target: "/v1/messages/count_tokens?beta=true", format: .anthropicMessages, userAgent: "claude-cli/2.1.332",
                                requestHeaders: [])
        let recorder = ExchangeRecorder(exchange: exchange, started: .now, context: context)
        recorder.requestChunk(ByteBuffer(string: #"{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"how big am I?"}]}"#))
        recorder.requestEnded()
        recorder.upstreamHeaders(status: 200, headers: [HeaderField("content-type", "application/json")], arrived: .now)
        var tap = ResponseTap(format: .anthropicMessages, contentType: "application/json", contentEncoding: nil, captureLimit: 1 << 20)
        tap.ingest(ByteBuffer(string: #"{"input_tokens":42000}"#))
        tap.finish()
        recorder.end(tap: tap)  // as the relay ends it: published now, or once an off-loop parse is done
        let seen = [await finished.next()?.exchange].compactMap { $0 }
        #expect(seen.first?.usage?.inputTokens == 42000)  // the count is kept
        #expect(seen.first?.cost?.total == 0 && seen.first?.cost?.pricedAs == "not billed (count_tokens)")
    }

    /// Work sent to the recording executor from a forwarding loop (as the relay sends it) runs on the
    /// recording thread, not on that loop.
    @Test(.timeLimit(.minutes(1))) func recordingWorkRunsOnItsOwnThread() async throws {
        let forwarding = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = forwarding.next()
        let (onRecordingThread, onForwardingLoop) = try await loop.submit {
            Task(executorPreference: OffLoopExecutor.recording) { (OffLoopExecutor.recording.isCurrent, loop.inEventLoop) }
        }.get().value
        #expect(onRecordingThread)
        #expect(!onForwardingLoop)
        #expect(!OffLoopExecutor.recording.isCurrent)
        try await forwarding.shutdownGracefully()
    }
}
