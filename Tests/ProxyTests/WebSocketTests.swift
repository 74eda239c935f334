import CompressNIO
import Foundation
import NIOCore
import Testing
@testable import Proxy

/// The WebSocket copy path without sockets: frames and messages as the recording reads them, and the
/// tunnel's decisions for every order of events.
@Suite struct WebSocketTests {
    let mask: (UInt8, UInt8, UInt8, UInt8) = (0x37, 0xFA, 0x21, 0x3D)

    /// A sender's permessage-deflate: one compressor for the connection, each message sync-flushed and
    /// its `00 00 ff ff` tail removed (RFC 7692 §7.2.1).
    final class Deflater {
        let compressor = try! ZlibCompressor(algorithm: .deflate)
        func message(_ text: String) -> [UInt8] {
            var input = ByteBuffer(string: text)
            var output = ByteBuffer()
            output.reserveCapacity(text.utf8.count + 64)
            try! compressor.deflate(from: &input, to: &output, flush: .sync)
            return Array(output.readableBytesView.dropLast(4))
        }
    }

    @Test func masksAndLengthsOfEverySizeComeBackAsSent() {
        for size in [0, 1, 125, 126, 65535, 65536, 70000] {
            let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            for frameMask in [nil, mask] {
                var parser = WebSocketFrameParser()
                let bytes = WebSocketFrame(opcode: .binary, payload: payload).encoded(mask: frameMask)
                #expect(parser.feed(bytes) == [WebSocketFrame(opcode: .binary, payload: payload)], "size \(size)")
            }
        }
    }

    @Test func framesCutAtEveryByteComeOutTheSame() {
        let bytes = WebSocketFrame(opcode: .text, payload: Array("{\"type\":\"response.create\"}".utf8)).encoded(mask: mask)
            + WebSocketFrame(opcode: .ping, payload: [1, 2]).encoded(mask: mask)
        for cut in 0...bytes.count {
            var parser = WebSocketFrameParser()
            let frames = parser.feed(bytes[..<cut]) + parser.feed(bytes[cut...])
            #expect(frames.map(\.opcode) == [.text, .ping], "cut at \(cut)")
            #expect(frames.first?.payload == Array("{\"type\":\"response.create\"}".utf8))
        }
    }

    @Test func fragmentsAreJoinedAroundControlFrames() {
        let reader = WebSocketMessageReader(deflate: nil, fromClient: true)
        let bytes = WebSocketFrame(fin: false, opcode: .text, payload: Array("frag".utf8)).encoded(mask: mask)
            + WebSocketFrame(opcode: .ping, payload: []).encoded(mask: mask)
            + WebSocketFrame(fin: false, opcode: .continuation, payload: Array("men".utf8)).encoded(mask: mask)
            + WebSocketFrame(opcode: .continuation, payload: Array("ted".utf8)).encoded(mask: mask)
            + WebSocketFrame(opcode: .close, payload: [0x0F, 0xA1] + Array("done".utf8)).encoded(mask: mask)
        #expect(reader.feed(bytes) == [.ping, .text(Array("fragmented".utf8)), .close(code: 4001, reason: "done")])
        #expect(reader.failure == nil)
    }

    @Test func compressedMessagesKeepTheWindowFromMessageToMessage() {
        let deflater = Deflater()
        let reader = WebSocketMessageReader(deflate: PerMessageDeflate(extensions: "permessage-deflate; client_max_window_bits=12"),
                                            fromClient: false)
        let event = "{\"type\":\"response.output_text.delta\",\"delta\":\"hello there\"}"
        var messages: [WebSocketMessage] = []
        var sizes: [Int] = []
        for _ in 0..<3 {
            let compressed = deflater.message(event)
            sizes.append(compressed.count)
            messages += reader.feed(WebSocketFrame(compressed: true, opcode: .text, payload: compressed).encoded())
        }
        #expect(messages == Array(repeating: .text(Array(event.utf8)), count: 3))
        #expect(sizes[1] < sizes[0] / 2)  // the second refers back to the first: only a kept window reads it
    }

    @Test func aMessageTooLargeToKeepIsCountedAndTheNextOneIsRead() {
        let reader = WebSocketMessageReader(deflate: nil, fromClient: true, maxMessage: 1000)
        let big = WebSocketFrame(opcode: .text, payload: Array(repeating: 0x61, count: 5000)).encoded(mask: mask)
        let small = WebSocketFrame(opcode: .text, payload: Array("ok".utf8)).encoded(mask: mask)
        #expect(reader.feed(big + small) == [.text(Array("ok".utf8))])
        #expect(reader.dropped == 1)
    }

    @Test func brokenStreamsStopTheCopyWithAReason() {
        let unknownOpcode: [UInt8] = [0x83, 0x00]
        let longControl = [0x89, 0x7E, 0x00, 0x80] + Array(repeating: UInt8(0), count: 128)
        let strayContinuation = WebSocketFrame(opcode: .continuation, payload: [1]).encoded()
        let compressedWithoutDeflate = WebSocketFrame(compressed: true, opcode: .text, payload: [1, 2]).encoded()
        for bytes in [unknownOpcode, longControl, strayContinuation, compressedWithoutDeflate] {
            let reader = WebSocketMessageReader(deflate: nil, fromClient: false)
            #expect(reader.feed(bytes).isEmpty)
            #expect(reader.failure != nil, "\(bytes.prefix(4))")
        }
    }

    @Test func extensionsAreReadAsTheServerAgreedThem() {
        #expect(PerMessageDeflate(extensions: nil) == nil)
        #expect(PerMessageDeflate(extensions: "x-webkit-deflate-frame") == nil)
        #expect(PerMessageDeflate(extensions: "permessage-deflate; server_no_context_takeover; client_max_window_bits=12")
            == PerMessageDeflate(serverNoContextTakeover: true, clientNoContextTakeover: false))
    }

    @Test func theTunnelForwardsUntilOneSideGoesAndThenClosesTheOther() {
        for first in [WebSocketTunnel.Side.client, .upstream] {
            var state = WebSocketTunnel.State.open
            #expect(state.read(from: .client) == .forward(to: .upstream))
            #expect(state.read(from: .upstream) == .forward(to: .client))
            #expect(state.inactive(first) == .closeAfterFlush(first.other))
            #expect(state == .closing(by: first))
            #expect(state.read(from: first.other) == .drop)  // no one is left to take it
            #expect(state.inactive(first) == .drop)  // told twice: nothing more to do
            #expect(state.inactive(first.other) == .drop)
            #expect(state == .closed)
            #expect(state.read(from: .client) == .drop)
        }
    }

    @Test func anUpgradeKeepsItsUpgradeHeadersAndOnlyAnUpgradeDoes() {
        let upgrade = [("Connection", "Upgrade"), ("Upgrade", "websocket"), ("Sec-WebSocket-Key", "k"),
                       ("Sec-WebSocket-Extensions", "permessage-deflate"), ("Host", "127.0.0.1")]
        #expect(HeaderPolicy.isWebSocketUpgrade(upgrade))
        #expect(HeaderPolicy.upstreamRequestHeaders(upgrade, upgrade: true).map(\.0)
            == ["Connection", "Upgrade", "Sec-WebSocket-Key", "Sec-WebSocket-Extensions"])
        #expect(!HeaderPolicy.isWebSocketUpgrade([("Connection", "keep-alive"), ("Upgrade", "websocket")]))
        #expect(HeaderPolicy.upstreamRequestHeaders([("Connection", "Upgrade"), ("Upgrade", "h2c")]).isEmpty)
    }

    @Test func codexTurnMetadataNamesTheTurnAndItsKind() {
        let turn = CodexTurnMetadata(#"{"session_id":"s1","turn_id":"","request_kind":"prewarm"}"#)
        #expect(turn?.sessionID == "s1" && turn?.turnID == nil && turn?.requestKind == "prewarm")
        let body = #"{"type":"response.create","model":"gpt-5.6-sol","generate":false,"input":[],"client_metadata":{"x-codex-turn-metadata":"{\"turn_id\":\"t9\",\"request_kind\":\"turn\"}"}}"#
        let prompt = WireFormatKind.openAIResponses.prompt(body: Array(body.utf8), path: "/v1/responses")
        #expect(prompt?.turnID == "t9" && prompt?.requestKind == "turn")
    }

    @Test func codexToolsSentAsAnInputItemAreTheRequestsTools() {
        let body = #"{"model":"gpt-5.6-sol","input":[{"type":"additional_tools","role":"developer","tools":[{"type":"namespace","name":"functions","tools":[{"type":"custom","name":"exec"},{"type":"function","name":"wait"}]},{"type":"function","name":"shell"}]},{"type":"message","role":"user","content":[{"type":"input_text","text":"say hi"}]}]}"#
        let prompt = WireFormatKind.openAIResponses.prompt(body: Array(body.utf8), path: "/v1/responses")
        #expect(prompt?.tools.map(\.name) == ["exec", "wait", "shell"])
        #expect(prompt?.messages.count == 1 && prompt?.userPrompts == ["say hi"])
    }
}

@Suite struct ContinuationTests {
    @Test func aRepliesItemsComeFromItsEventsElseFromWhatWasRead() {
        let events = #"{"type":"response.output_item.done","item":{"type":"function_call","call_id":"c1","name":"shell","arguments":"{}"}}"# + "\n"
            + #"{"type":"response.completed","response":{"id":"r1","output":[]}}"# + "\n"
        let reply = OpenAIResponsesStream.reply(response: Data(events.utf8), summary: ResponseSummary())
        #expect(reply.map(\.role) == [.assistant] && reply.first?.blocks.first?.toolID == "c1")
        // A capture cut before the items: the summary's text and calls stand in.
        var summary = ResponseSummary()
        summary.text = "partial answer"
        summary.toolCalls = [ToolCall(id: "c2", name: "shell", arguments: "{}")]
        let fallback = OpenAIResponsesStream.reply(response: Data(#"{"type":"response.created"#.utf8), summary: summary)
        #expect(fallback.first?.blocks.map(\.kind) == [.text, .toolUse] && fallback.first?.blocks.last?.toolID == "c2")
    }

    @Test func aContinuationFollowsTheEarlierConversationAndKeepsItsOwnTools() {
        var earlier = Prompt()
        earlier.messages = [PromptMessage(role: .user, blocks: [PromptBlock(kind: .text, type: "input_text", text: "a", json: "\"a\"")])]
        earlier.tools = [PromptTool(name: "old", cache: nil, json: "{}")]
        var next = Prompt()
        next.messages = [PromptMessage(role: .tool, blocks: [PromptBlock(kind: .toolResult, type: "function_call_output", json: "{}")])]
        let inherited = next.continuing(earlier)
        #expect(inherited.messages.map(\.role) == [.user, .tool] && inherited.earlierMessages == 1)
        #expect(inherited.tools.map(\.name) == ["old"] && inherited.earlierTools == true)
        next.tools = [PromptTool(name: "new", cache: nil, json: "{}")]
        #expect(next.continuing(earlier).tools.map(\.name) == ["new"] && next.continuing(earlier).earlierTools == nil)
    }
}
