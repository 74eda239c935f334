/// One Server-Sent Event: its `event:` name (nil when absent) and its `data:` lines joined by `\n`.
public struct SSEEvent: Sendable, Equatable {
    public var name: String?
    public var data: [UInt8]

    public init(name: String?, data: [UInt8]) {
        self.name = name
        self.data = data
    }

    public var dataText: String { String(decoding: data, as: UTF8.self) }
}

/// Splits an SSE byte stream into events, fed in chunks cut anywhere (even between `\r` and `\n`).
/// Follows the WHATWG event-stream rules: `\r\n`, `\n` or `\r` end a line, a blank line ends an event,
/// `:` starts a comment, one space after the field colon is dropped.
public struct SSEParser: Sendable {
    private var line: [UInt8] = []
    private var eventName: String?
    private var data: [UInt8] = []
    private var hasData = false
    private var skipLeadingLF = false
    /// Inside an oversized event: bytes are dropped until the blank line that ends it.
    private var discarding = false
    private var discardedLineHasBytes = false
    /// An event larger than this is dropped rather than held (a broken or hostile stream).
    public let maxEventBytes: Int
    /// Events dropped for exceeding `maxEventBytes`.
    public private(set) var oversizedEvents = 0

    public init(maxEventBytes: Int = 32 << 20) {
        self.maxEventBytes = maxEventBytes
    }

    /// Feeds bytes and returns the events they complete.
    public mutating func feed<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> [SSEEvent] {
        var events: [SSEEvent] = []
        for byte in bytes {
            if skipLeadingLF {
                skipLeadingLF = false
                if byte == 0x0A { continue }
            }
            switch byte {
            case 0x0A:
                endLine(into: &events)
            case 0x0D:
                endLine(into: &events)
                skipLeadingLF = true
            default:
                if discarding {
                    discardedLineHasBytes = true
                } else if line.count + data.count < maxEventBytes {
                    line.append(byte)
                } else {
                    oversizedEvents += 1
                    discarding = true
                    discardedLineHasBytes = true
                    line.removeAll()
                    resetEvent()
                }
            }
        }
        return events
    }

    /// Ends the stream: an event still missing its blank line is returned (a truncated stream).
    public mutating func finish() -> SSEEvent? {
        var events: [SSEEvent] = []
        if !line.isEmpty { endLine(into: &events) }
        defer { resetEvent() }
        guard hasData else { return nil }
        return SSEEvent(name: eventName, data: data)
    }

    private mutating func endLine(into events: inout [SSEEvent]) {
        if discarding {
            if !discardedLineHasBytes { discarding = false }
            discardedLineHasBytes = false
            return
        }
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            if hasData { events.append(SSEEvent(name: eventName, data: data)) }
            resetEvent()
            return
        }
        if line[0] == 0x3A { return }  // comment
        let colon = line.firstIndex(of: 0x3A) ?? line.endIndex
        var valueStart = colon == line.endIndex ? colon : colon + 1
        if valueStart < line.endIndex, line[valueStart] == 0x20 { valueStart += 1 }
        let field = line[..<colon]
        let value = line[valueStart...]
        if field.elementsEqual("data".utf8) {
            if hasData { data.append(0x0A) }
            data.append(contentsOf: value)
            hasData = true
        } else if field.elementsEqual("event".utf8) {
            eventName = String(decoding: value, as: UTF8.self)
        }
    }

    private mutating func resetEvent() {
        eventName = nil
        data.removeAll(keepingCapacity: true)
        hasData = false
    }
}
