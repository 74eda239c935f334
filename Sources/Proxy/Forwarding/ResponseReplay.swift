import NIOCore

/// Feeds a whole response through the tap in reads of a given size, as the forwarding loop does after
/// each flush. For the parse benchmark, which measures what recording a stream costs per event.
package enum ResponseReplay {
    /// The summary the tap makes of `body`, streamed as `text/event-stream` in reads of `readSize` bytes.
    package static func stream(_ body: [UInt8], format: WireFormatKind, readSize: Int) -> ResponseSummary? {
        var tap = ResponseTap(format: format, contentType: "text/event-stream", contentEncoding: nil, captureLimit: 1 << 20)
        var offset = 0
        while offset < body.count {
            let end = min(body.count, offset + readSize)
            tap.ingest(ByteBuffer(bytes: body[offset..<end]))
            offset = end
        }
        tap.finish()
        return tap.summary
    }
}
