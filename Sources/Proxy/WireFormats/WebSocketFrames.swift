import NIOCore

/// One WebSocket frame (RFC 6455 §5.2), its payload unmasked.
package struct WebSocketFrame: Sendable, Equatable {
    package enum Opcode: UInt8, Sendable {
        case continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9, pong = 0xA
    }

    package var fin: Bool
    /// RSV1: the first frame of a permessage-deflate compressed message.
    package var compressed: Bool
    package var opcode: Opcode
    package var payload: [UInt8]
    /// The payload was too large to keep: it crossed the connection, but the copy holds none of it.
    package var skipped = false

    package init(fin: Bool = true, compressed: Bool = false, opcode: Opcode, payload: [UInt8]) {
        self.fin = fin
        self.compressed = compressed
        self.opcode = opcode
        self.payload = payload
    }

    /// The frame's bytes as a client (masked with `mask`) or a server (`mask` nil) sends them.
    package func encoded(mask: (UInt8, UInt8, UInt8, UInt8)? = nil) -> [UInt8] {
        var out: [UInt8] = [(fin ? 0x80 : 0) | (compressed ? 0x40 : 0) | opcode.rawValue]
        let maskBit: UInt8 = mask == nil ? 0 : 0x80
        switch payload.count {
        case ..<126: out.append(maskBit | UInt8(payload.count))
        case ..<65536: out += [maskBit | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        default:
            out.append(maskBit | 127)
            out += (0..<8).reversed().map { UInt8(truncatingIfNeeded: UInt64(payload.count) >> ($0 * 8)) }
        }
        guard let mask else { return out + payload }
        let key = [mask.0, mask.1, mask.2, mask.3]
        out += key
        out += payload.enumerated().map { $0.element ^ key[$0.offset & 3] }
        return out
    }
}

/// Splits one direction of a WebSocket connection into frames, fed in chunks cut anywhere. It reads a
/// copy: a malformed stream stops it (`failure`), never the connection. A payload larger than
/// `maxPayload` is skipped, not held (its frame comes out empty, `oversized` counts it).
package struct WebSocketFrameParser: Sendable {
    private enum State: Sendable {
        case header
        case payload(WebSocketFrame, remaining: UInt64, mask: [UInt8]?, offset: Int, keep: Bool)
        case failed
    }

    private var state = State.header
    private var header: [UInt8] = []
    package let maxPayload: Int
    package private(set) var oversized = 0
    package private(set) var failure: String?

    package init(maxPayload: Int = 32 << 20) {
        self.maxPayload = maxPayload
    }

    /// Feeds bytes and returns the frames they complete.
    package mutating func feed(_ bytes: some Collection<UInt8>) -> [WebSocketFrame] {
        var frames: [WebSocketFrame] = []
        var index = bytes.startIndex
        while index != bytes.endIndex {
            switch state {
            case .failed:
                return frames
            case .header:
                header.append(bytes[index])
                bytes.formIndex(after: &index)
                guard readHeader() else { continue }
                header.removeAll(keepingCapacity: true)
                if case .payload(let frame, 0, _, _, _) = state {  // nothing follows the header
                    frames.append(frame)
                    state = .header
                }
            case .payload(var frame, let remaining, let mask, var offset, let keep):
                state = .header  // the payload is appended to in place, not copied
                let available = UInt64(bytes.distance(from: index, to: bytes.endIndex))
                let take = Int(min(remaining, available))
                let end = bytes.index(index, offsetBy: take)
                if keep {
                    if let mask {
                        for byte in bytes[index..<end] {
                            frame.payload.append(byte ^ mask[offset & 3])
                            offset &+= 1
                        }
                    } else {
                        frame.payload.append(contentsOf: bytes[index..<end])
                    }
                }
                index = end
                if remaining == UInt64(take) {
                    frames.append(frame)
                    state = .header
                } else {
                    state = .payload(frame, remaining: remaining - UInt64(take), mask: mask, offset: offset, keep: keep)
                }
            }
        }
        return frames
    }

    /// Moves on once `header` holds a whole frame header; false while it needs more bytes (or failed).
    private mutating func readHeader() -> Bool {
        guard header.count >= 2 else { return false }
        let masked = header[1] & 0x80 != 0
        let short = header[1] & 0x7F
        let lengthBytes = short == 127 ? 8 : short == 126 ? 2 : 0
        let total = 2 + lengthBytes + (masked ? 4 : 0)
        guard header.count == total else { return false }
        guard let opcode = WebSocketFrame.Opcode(rawValue: header[0] & 0x0F) else {
            fail("unknown opcode \(header[0] & 0x0F)")
            return false
        }
        var length = UInt64(short)
        if lengthBytes > 0 {
            length = header[2..<(2 + lengthBytes)].reduce(0) { $0 << 8 | UInt64($1) }
            if length >> 63 != 0 {
                fail("frame length has its top bit set")
                return false
            }
        }
        if opcode.rawValue >= 0x8, length > 125 || header[0] & 0x80 == 0 {
            fail("control frame longer than 125 bytes or fragmented")
            return false
        }
        let mask = masked ? Array(header[(total - 4)...]) : nil
        let keep = length <= UInt64(maxPayload)
        if !keep { oversized += 1 }
        var frame = WebSocketFrame(fin: header[0] & 0x80 != 0, compressed: header[0] & 0x40 != 0, opcode: opcode, payload: [])
        frame.skipped = !keep
        if keep { frame.payload.reserveCapacity(Int(length)) }
        state = .payload(frame, remaining: length, mask: mask, offset: 0, keep: keep)
        return true
    }

    private mutating func fail(_ reason: String) {
        failure = reason
        state = .failed
    }
}
