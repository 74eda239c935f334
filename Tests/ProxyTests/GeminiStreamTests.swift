import Foundation
import NIOCore
import Testing
@testable import Proxy

/// The Gemini format, both sides, on the shapes its clients send (bodies as google-genai 3.6.1 sends
/// them, checked against a recording mock) and its servers answer.
@Suite struct GeminiStreamTests {
    @Test func theFormatIsKnownByItsPathAndTheModelNamedInIt() {
        #expect(WireFormatKind.detect(path: "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse") == .gemini)
        #expect(WireFormatKind.detect(path: "/v1/models/gemini-2.5-flash:generateContent") == .gemini)
        #expect(WireFormatKind.detect(path: "/v1internal:countTokens") == .gemini)
        #expect(WireFormatKind.detect(path: "/v1beta/models") == nil)  // the listing has no usage
        #expect(GeminiStream.model(path: "/v1beta/models/gemini-2.5-pro:streamGenerateContent?alt=sse") == "gemini-2.5-pro")
    }

    @Test func theSDKsRequestIsReadWhateverCaseItsMembersAreIn() throws {
        // google-genai 3.6.1: camelCase members, but snake_case inside `thinkingConfig`.
        let body = #"""
        {"contents":[{"parts":[{"text":"list the files"}],"role":"user"},
          {"parts":[{"text":"planning","thought":true},{"functionCall":{"name":"ls","args":{"path":"."}}}],"role":"model"},
          {"parts":[{"functionResponse":{"name":"ls","response":{"files":["a.txt"]}}}],"role":"user"}],
         "systemInstruction":{"parts":[{"text":"be brief"}],"role":"user"},
         "tools":[{"functionDeclarations":[{"name":"ls","description":"list","parameters":{"type":"OBJECT"}}]},{"googleSearch":{}}],
         "generationConfig":{"temperature":0.2,"max_output_tokens":512,"thinkingConfig":{"include_thoughts":true,"thinking_budget":128}}}
        """#
        let prompt = try #require(WireFormatKind.gemini.prompt(body: Array(body.utf8), path: "/v1/models/gemini-2.5-flash:streamGenerateContent?alt=sse"))
        #expect(prompt.model == "gemini-2.5-flash" && prompt.stream && prompt.operation == "chat")
        #expect(prompt.temperature == 0.2 && prompt.maxTokens == 512)
        #expect(prompt.system.map(\.text) == ["be brief"])
        #expect(prompt.tools.map(\.name) == ["ls", "googleSearch"])
        #expect(prompt.messages.map(\.role) == [.user, .assistant, .tool])
        #expect(prompt.messages[1].blocks.map(\.kind) == [.thinking, .toolUse] && prompt.messages[1].blocks[1].text == #"{"path":"."}"#)
        // The result answers the call by the function's name, so the turn links to the exchange that asked.
        #expect(prompt.answeredToolCalls == ["ls"] && prompt.userPrompts == ["list the files"])
    }

    @Test func aNumberOutOfRangeIsNotAMaximum() throws {
        // Read as a count, never converted blindly: 1e300 must not trap the recording.
        let body = #"{"contents":[],"generationConfig":{"maxOutputTokens":1e300,"topP":0.5}}"#
        let prompt = try #require(WireFormatKind.gemini.prompt(body: Array(body.utf8), path: "/v1beta/models/gemini-2.5-pro:generateContent"))
        #expect(prompt.maxTokens == nil && prompt.topP == 0.5)
    }

    @Test func codeAssistWrapsTheRequestAndNamesTheModelInTheBody() throws {
        let body = #"{"model":"gemini-2.5-pro","project":"p-123","user_prompt_id":"s-1########3","request":{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"session_id":"s-1"}}"#
        let prompt = try #require(WireFormatKind.gemini.prompt(body: Array(body.utf8), path: "/v1internal:streamGenerateContent?alt=sse"))
        #expect(prompt.model == "gemini-2.5-pro" && prompt.stream && prompt.userPrompts == ["hi"])
        // The CLI's session groups its requests; the typed prompt is the turn.
        #expect(prompt.metadataUserID == "s-1" && prompt.turnID == "s-1########3")
        let count = try #require(WireFormatKind.gemini.prompt(body: Array(body.utf8), path: "/v1internal:countTokens"))
        #expect(count.operation == "count_tokens")
    }

    static func chunk(_ text: String, thought: Bool = false, usage: String? = nil, finish: String? = nil, wrapped: Bool = false) -> String {
        let part = thought ? #"{"text":"\#(text)","thought":true}"# : #"{"text":"\#(text)"}"#
        var response = #"{"candidates":[{"content":{"role":"model","parts":[\#(part)]}\#(finish.map { #","finishReason":"\#($0)""# } ?? "")}]"#
        if let usage { response += #","usageMetadata":\#(usage)"# }
        response += #","modelVersion":"gemini-2.5-pro","responseId":"r-42"}"#
        return wrapped ? #"{"response":\#(response)}"# : response
    }

    static func stream(_ chunks: [String]) -> ResponseSummary {
        var parser = SSEParser()
        var format = GeminiStream()
        // Google ends each frame with \r\n\r\n.
        for event in parser.feed(Array(chunks.map { "data: \($0)\r\n\r\n" }.joined().utf8)) { format.ingest(event) }
        format.finish()
        return format.summary
    }

    @Test(arguments: [false, true])
    func aStreamsUsageIsItsLastChunksAndThoughtsAreBilledAsOutput(wrapped: Bool) throws {
        let summary = Self.stream([
            Self.chunk("Let me think", thought: true, usage: #"{"promptTokenCount":1200,"totalTokenCount":1200}"#, wrapped: wrapped),
            Self.chunk("Hello", usage: #"{"promptTokenCount":1200,"candidatesTokenCount":1,"thoughtsTokenCount":40,"totalTokenCount":1241}"#, wrapped: wrapped),
            Self.chunk(" there", usage: #"{"promptTokenCount":1200,"cachedContentTokenCount":1024,"candidatesTokenCount":3,"thoughtsTokenCount":40,"toolUsePromptTokenCount":10,"totalTokenCount":1253}"#,
                       finish: "STOP", wrapped: wrapped),
        ])
        #expect(summary.text == "Hello there" && summary.thinking == "Let me think")
        #expect(summary.usage == Usage(inputTokens: 1210, outputTokens: 43, cacheReadTokens: 1024, reasoningTokens: 40))
        #expect(summary.model == "gemini-2.5-pro" && summary.id == "r-42" && summary.finishReasons == ["STOP"] && summary.complete)
    }

    @Test func aStreamThatStopsBeforeAFinishReasonIsNotComplete() {
        let summary = Self.stream([Self.chunk("Hel", usage: #"{"promptTokenCount":9,"candidatesTokenCount":1}"#)])
        #expect(!summary.complete && summary.usage?.inputTokens == 9)
    }

    @Test func aStreamedJSONArrayReadWholeGivesTheSameAnswer() {
        // Without ?alt=sse the same chunks come as one JSON array.
        let chunks = [Self.chunk("Hello"), Self.chunk(" there", usage: #"{"promptTokenCount":5,"candidatesTokenCount":2}"#, finish: "STOP")]
        var format = GeminiStream()
        format.ingest(body: Array(("[" + chunks.joined(separator: ",\r\n") + "]").utf8))
        #expect(format.summary.text == "Hello there" && format.summary.usage == Usage(inputTokens: 5, outputTokens: 2) && format.summary.complete)
    }

    @Test func callsErrorsAndTokenCountsAreRead() {
        var call = GeminiStream()
        call.ingest(body: Array(#"{"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"ls","args":{"path":"/tmp"}}}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":20,"candidatesTokenCount":5}}"#.utf8))
        #expect(call.summary.toolCalls == [ToolCall(id: "ls", name: "ls", arguments: #"{"path":"/tmp"}"#)])

        var error = GeminiStream()
        error.ingest(body: Array(#"{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED"}}"#.utf8))
        #expect(error.summary.error == ProviderError(type: "RESOURCE_EXHAUSTED", message: "Resource has been exhausted"))

        var count = GeminiStream()
        count.ingest(body: Array(#"{"totalTokens":31}"#.utf8))
        #expect(count.summary.usage == Usage(inputTokens: 31) && count.summary.toolCalls.isEmpty)
    }

    @Test func aStreamedArraySplitsIntoItsElementsWhereverItIsCut() {
        let elements = [#"{"a":"x]}\"{["}"#, #"{"b":[1,{"c":"}"}]}"#, #"{"d":"\\"}"#]
        let body = Array(("[" + elements.joined(separator: ",\r\n") + "]\r\n").utf8)
        for cut in 0...body.count {
            var splitter = JSONArrayStream()
            let found = splitter.feed(body[..<cut]) + splitter.feed(body[cut...])
            #expect(found.map { String(decoding: $0, as: UTF8.self) } == elements, "cut at \(cut)")
            #expect(splitter.state == .done)
        }
        var plain = JSONArrayStream()
        #expect(plain.feed(Array(#"  {"candidates":[]}"#.utf8)).isEmpty && plain.state == .notAnArray)
        var odd = JSONArrayStream()
        #expect(odd.feed(Array("[1,2]".utf8)).isEmpty && odd.state == .broken)
        var big = JSONArrayStream(maxElement: 8)
        #expect(big.feed(Array(#"[{"long":"0123456789"},{"s":1}]"#.utf8)).map { String(decoding: $0, as: UTF8.self) } == [#"{"s":1}"#])
        #expect(big.oversized == 1)
    }

    @Test func aStreamedArraysUsageShowsBeforeTheArrayCloses() {
        var tap = ResponseTap(format: .gemini, contentType: "application/json; charset=UTF-8", contentEncoding: nil, captureLimit: 1 << 20)
        tap.ingest(ByteBuffer(string: "[" + Self.chunk("Hel", usage: #"{"promptTokenCount":70,"candidatesTokenCount":1}"#)))
        #expect(tap.summary?.usage == Usage(inputTokens: 70, outputTokens: 1) && tap.summary?.text == "Hel")
        tap.ingest(ByteBuffer(string: ",\r\n" + Self.chunk("lo", usage: #"{"promptTokenCount":70,"candidatesTokenCount":2}"#, finish: "STOP") + "]"))
        tap.finish()
        #expect(tap.summary?.usage == Usage(inputTokens: 70, outputTokens: 2) && tap.summary?.complete == true && tap.problems.isEmpty)
        // A plain answer through the same path is read whole.
        var plain = ResponseTap(format: .gemini, contentType: "application/json", contentEncoding: nil, captureLimit: 1 << 20)
        plain.ingest(ByteBuffer(string: Self.chunk("ok", usage: #"{"promptTokenCount":3,"candidatesTokenCount":1}"#, finish: "STOP")))
        plain.finish()
        #expect(plain.summary?.text == "ok" && plain.summary?.usage == Usage(inputTokens: 3, outputTokens: 1))
    }
}
