import CompressNIO
import NIOCore

/// A whole WebSocket message of one direction: text or binary data reassembled from its fragments and
/// inflated, or a control frame.
package enum WebSocketMessage: Sendable, Equatable {
    case text([UInt8])
    case binary([UInt8])
    /// A close frame's status code (nil when it carries none) and reason.
    case close(code: UInt16?, reason: String)
    case ping, pong
}

/// permessage-deflate (RFC 7692) as the 101 response's `Sec-WebSocket-Extensions` agreed it.
package struct PerMessageDeflate: Sendable, Equatable {
    /// The server starts each message with a fresh window (`server_no_context_takeover`).
    package var serverNoContextTakeover = false
    package var clientNoContextTakeover = false

    /// nil when the extension was not agreed.
    package init?(extensions: String?) {
        guard let extensions else { return nil }
        for offer in extensions.split(separator: ",") {
            let params = offer.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard params.first == "permessage-deflate" else { continue }
            serverNoContextTakeover = params.contains("server_no_context_takeover")
            clientNoContextTakeover = params.contains("client_no_context_takeover")
            return
        }
        return nil
    }

    package init(serverNoContextTakeover: Bool = false, clientNoContextTakeover: Bool = false) {
        self.serverNoContextTakeover = serverNoContextTakeover
        self.clientNoContextTakeover = clientNoContextTakeover
    }
}

/// Turns one direction's bytes into messages: frames parsed, fragments joined, compressed messages
/// inflated with the window carried from message to message unless the sender resets it. It reads a
/// copy, so what it cannot read it reports (`failure`) and stops; a message larger than `maxMessage`
/// is dropped and counted, never held.
package final class WebSocketMessageReader {
    private var frames: WebSocketFrameParser
    private let inflater: ZlibDecompressor?
    private let resetsWindow: Bool
    private var fragments: [UInt8] = []
    private var fragmentsCompressed = false
    private var fragmenting = false
    private var binary = false
    /// The message being read is too large to keep: its fragments are let go as they come.
    private var dropping = false
    package let maxMessage: Int
    package private(set) var dropped = 0
    package private(set) var failure: String?

    /// `deflate` as agreed for the connection; `fromClient` picks which side's takeover rule applies.
    package init(deflate: PerMessageDeflate?, fromClient: Bool, maxMessage: Int = 32 << 20) {
        self.maxMessage = maxMessage
        frames = WebSocketFrameParser(maxPayload: maxMessage)
        inflater = deflate.flatMap { _ in try? ZlibDecompressor(algorithm: .deflate, windowSize: 15) }
        resetsWindow = deflate.map { fromClient ? $0.clientNoContextTakeover : $0.serverNoContextTakeover } ?? false
        if deflate != nil, inflater == nil { failure = "zlib could not start an inflater" }
    }

    /// Feeds one chunk as it crossed the connection; returns the messages it completes.
    package func feed(_ bytes: some Collection<UInt8>) -> [WebSocketMessage] {
        guard failure == nil else { return [] }
        var messages: [WebSocketMessage] = []
        for frame in frames.feed(bytes) {
            if let message = read(frame) { messages.append(message) }
            if failure != nil { return messages }
        }
        if let reason = frames.failure { failure = reason }
        return messages
    }

    private func read(_ frame: WebSocketFrame) -> WebSocketMessage? {
        switch frame.opcode {
        case .ping: return .ping
        case .pong: return .pong
        case .close:
            let code = frame.payload.count >= 2 ? UInt16(frame.payload[0]) << 8 | UInt16(frame.payload[1]) : nil
            return .close(code: code, reason: String(decoding: frame.payload.dropFirst(2), as: UTF8.self))
        case .text, .binary:
            guard !fragmenting else {
                failure = "a new message started inside a fragmented one"
                return nil
            }
            fragmenting = !frame.fin
            fragmentsCompressed = frame.compressed
            fragments = frame.payload
            binary = frame.opcode == .binary
            dropping = frame.skipped
        case .continuation:
            guard fragmenting else {
                failure = "a continuation frame with no message to continue"
                return nil
            }
            fragmenting = !frame.fin
            if frame.skipped || fragments.count + frame.payload.count > maxMessage { dropping = true }
            if !dropping { fragments += frame.payload }
        }
        guard !fragmenting else { return nil }
        let payload = fragments
        fragments = []
        if dropping {
            dropping = false
            dropped += 1
            return nil
        }
        guard fragmentsCompressed else { return binary ? .binary(payload) : .text(payload) }
        guard let inflated = inflate(payload) else { return nil }
        return binary ? .binary(inflated) : .text(inflated)
    }


    private func inflate(_ payload: [UInt8]) -> [UInt8]? {
        guard let inflater else {
            failure = "a compressed message on a connection that agreed no compression"
            return nil
        }
        var input = ByteBuffer(bytes: payload)
        input.writeBytes([0x00, 0x00, 0xFF, 0xFF])  // the tail RFC 7692 §7.2.1 has the sender remove
        var out: [UInt8] = []
        var window = ByteBuffer()
        while true {
            window.clear(minimumCapacity: 64 << 10)
            do {
                try inflater.inflate(from: &input, to: &window)
                out += window.readableBytesView
                break
            } catch let error as CompressNIOError where error == .bufferOverflow {
                out += window.readableBytesView
            } catch let error as CompressNIOError where error == .inputBufferOverflow {
                out += window.readableBytesView
                break
            } catch {
                failure = "could not inflate a compressed message: \(error)"
                return nil
            }
            if out.count > maxMessage {
                failure = "a compressed message inflates past \(maxMessage >> 20) MB"
                return nil
            }
        }
        if resetsWindow, (try? inflater.reset()) == nil { failure = "zlib could not reset its window" }
        return out
    }
}
