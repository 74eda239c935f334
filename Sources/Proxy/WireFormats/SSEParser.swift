/// One Server-Sent Event: its `event:` name (nil when absent) and its `data:` lines joined by `\n`.
package struct SSEEvent: Sendable, Equatable {
    package var name: String?
    package var data: [UInt8]

    package init(name: String?, data: [UInt8]) {
        self.name = name
        self.data = data
    }

    package var dataText: String { String(decoding: data, as: UTF8.self) }
}

/// Splits an SSE byte stream into events, fed in chunks cut anywhere (even between `\r` and `\n`).
/// Follows the WHATWG event-stream rules: `\r\n`, `\n` or `\r` end a line, a blank line ends an event,
/// `:` starts a comment, one space after the field colon is dropped.
package struct SSEParser: Sendable {
    private var line: [UInt8] = []
    private var eventName: String?
    private var data: [UInt8] = []
    private var hasData = false
    private var skipLeadingLF = false
    /// Inside an oversized event: bytes are dropped until the blank line that ends it.
    private var discarding = false
    private var discardedLineHasBytes = false
    /// An event larger than this is dropped rather than held (a broken or hostile stream).
    package let maxEventBytes: Int
    /// Events dropped for exceeding `maxEventBytes`.
    package private(set) var oversizedEvents = 0

    package init(maxEventBytes: Int = 32 << 20) {
        self.maxEventBytes = maxEventBytes
    }

    /// Feeds bytes and returns the events they complete.
    package mutating func feed<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> [SSEEvent] {
        if let events = bytes.withContiguousStorageIfAvailable({ feed(UnsafeRawBufferPointer($0)) }) { return events }
        return Array(bytes).withUnsafeBytes { feed($0) }
    }

    /// Scans for line ends and moves each run of bytes between them into the line at once.
    package mutating func feed(_ bytes: UnsafeRawBufferPointer) -> [SSEEvent] {
        var events: [SSEEvent] = []
        var i = 0
        while i < bytes.count {
            if skipLeadingLF {
                skipLeadingLF = false
                if bytes[i] == 0x0A {
                    i += 1
                    continue
                }
            }
            var end = i
            while end < bytes.count, bytes[end] != 0x0A, bytes[end] != 0x0D { end += 1 }
            if end > i { extendLine(UnsafeRawBufferPointer(rebasing: bytes[i..<end])) }
            guard end < bytes.count else { break }
            endLine(into: &events)
            skipLeadingLF = bytes[end] == 0x0D
            i = end + 1
        }
        return events
    }

    private mutating func extendLine(_ run: UnsafeRawBufferPointer) {
        if discarding {
            discardedLineHasBytes = true
        } else if line.count + data.count + run.count <= maxEventBytes {
            line.append(contentsOf: run)
        } else {
            oversizedEvents += 1
            discarding = true
            discardedLineHasBytes = true
            line.removeAll()
            resetEvent()
        }
    }

    /// Ends the stream: an event still missing its blank line is returned (a truncated stream).
    package mutating func finish() -> SSEEvent? {
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
