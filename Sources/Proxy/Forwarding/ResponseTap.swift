import Foundation
import NIOCore

/// Reads a copy of a response as it streams, after each chunk has gone to the client: keeps the raw
/// bytes (up to a limit), inflates a compressed copy, splits SSE into events and feeds the wire format.
/// It never fails the response; what it cannot read it reports in `problems`.
struct ResponseTap {
    private(set) var parser: (any WireFormat)?
    private var decoder: ContentDecoder?
    private var sse: SSEParser?
    private var jsonBody: [UInt8] = []
    private(set) var captured = Data()
    private(set) var capturedTruncated = false
    private(set) var bytes = 0
    private let captureLimit: Int
    /// Why part of the response could not be read (shown on the exchange, counted as parse failures).
    private(set) var problems: [String] = []
    private var decodeFailed = false
    private var array: JSONArrayStream?

    /// A non-streamed body larger than this is forwarded whole but not parsed (no LLM answer is this big).
    static let maxJSONBody = 16 << 20

    init(format: WireFormatKind?, contentType: String?, contentEncoding: String?, captureLimit: Int) {
        self.captureLimit = captureLimit
        self.parser = format?.makeParser()
        let isSSE = contentType?.containsIgnoringCase("text/event-stream") ?? false
        if parser != nil, isSSE { sse = SSEParser() }
        // Gemini streams as one JSON array when not asked for SSE: read each answer as it closes.
        if parser != nil, !isSSE, format == .gemini { array = JSONArrayStream() }
        do {
            decoder = try ContentDecoder.make(contentEncoding: contentEncoding)
        } catch {
            problems.append("\(error)")
            decodeFailed = true
        }
    }

    /// For the messages of a WebSocket, each one an event of the stream (the Responses API sends the
    /// objects of its SSE `data:` lines); the copy keeps them one per line.
    init(messagesOf format: WireFormatKind?, captureLimit: Int) {
        self.init(format: format, contentType: nil, contentEncoding: nil, captureLimit: captureLimit)
        messages = true
    }

    private var messages = false

    /// Takes one whole WebSocket message, inflated.
    mutating func ingest(message: [UInt8]) {
        bytes += message.count
        var line = ByteBuffer(bytes: message)
        line.writeInteger(UInt8(ascii: "\n"))
        capture(line)
        parser?.ingest(SSEEvent(name: nil, data: message))
    }

    /// Takes one chunk exactly as it was sent to the client.
    mutating func ingest(_ chunk: ByteBuffer) {
        bytes += chunk.readableBytes
        capture(chunk)
        guard parser != nil, !decodeFailed else { return }
        if let decoder {
            do {
                try decoder.decode(chunk) { read($0) }
            } catch {
                problems.append("could not inflate the response copy: \(error)")
                decodeFailed = true
            }
        } else {
            read(chunk)
        }
    }

    /// Ends the response: flushes a last event without its blank line, parses a JSON body.
    mutating func finish() {
        guard parser != nil else { return }
        if messages {
            // every message was an event already
        } else if var splitter = sse {
            if let last = splitter.finish() { parser?.ingest(last) }
            if splitter.oversizedEvents > 0 { problems.append("\(splitter.oversizedEvents) oversized SSE events skipped") }
            sse = splitter
        } else if let splitter = array, splitter.state != .notAnArray {
            if splitter.oversized > 0 { problems.append("\(splitter.oversized) oversized stream elements skipped") }
            if splitter.state == .broken { problems.append("the streamed JSON array was not an array of objects") }
        } else if !decodeFailed, !jsonBody.isEmpty {
            parser?.ingest(body: jsonBody)
            jsonBody = []
        }
        parser?.finish()
        if let failures = parser?.summary.parseFailures, failures > 0 {
            problems.append("\(failures) response parts were not valid JSON")
        }
    }

    var summary: ResponseSummary? { parser?.summary }

    private mutating func read(_ decoded: ByteBuffer) {
        if sse != nil {
            let events = decoded.withUnsafeReadableBytes { sse!.feed($0) }
            for event in events { parser?.ingest(event) }
        } else if var splitter = array, splitter.state != .notAnArray {
            for element in splitter.feed(decoded.readableBytesView) { parser?.ingest(SSEEvent(name: nil, data: element)) }
            array = splitter
            if splitter.state == .notAnArray { read(decoded) }  // a plain body after all: read whole, from its start
        } else if jsonBody.count + decoded.readableBytes <= Self.maxJSONBody {
            jsonBody.append(contentsOf: decoded.readableBytesView)
        } else if !decodeFailed {
            problems.append("response body over \(Self.maxJSONBody >> 20) MB: not parsed")
            decodeFailed = true
            jsonBody = []
        }
    }

    private mutating func capture(_ chunk: ByteBuffer) {
        guard !capturedTruncated else { return }
        let room = captureLimit - captured.count
        if chunk.readableBytes <= room {
            captured.append(contentsOf: chunk.readableBytesView)
        } else {
            captured.append(contentsOf: chunk.readableBytesView.prefix(max(0, room)))
            capturedTruncated = true
        }
    }
}
