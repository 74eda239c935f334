import Testing
@testable import Proxy

@Suite struct SSEParserTests {
    let stream = Array("event: message_start\r\ndata: {\"a\":1}\r\n\r\n: comment\nevent: ping\ndata: {}\n\ndata: line1\ndata: line2\n\n".utf8)

    @Test func splitsEventsWithNamesAndJoinsDataLines() {
        var parser = SSEParser()
        let events = parser.feed(stream)
        #expect(events == [
            SSEEvent(name: "message_start", data: Array("{\"a\":1}".utf8)),
            SSEEvent(name: "ping", data: Array("{}".utf8)),
            SSEEvent(name: nil, data: Array("line1\nline2".utf8)),
        ])
    }

    @Test func givesTheSameEventsWhereverTheStreamIsCut() {
        var whole = SSEParser()
        let expected = whole.feed(stream)
        for cut in 0...stream.count {
            for second in cut...stream.count {
                var parser = SSEParser()
                let events = parser.feed(stream[..<cut]) + parser.feed(stream[cut..<second]) + parser.feed(stream[second...])
                #expect(events == expected, "cut at \(cut), \(second)")
            }
        }
    }

    @Test func bareCarriageReturnsEndLines() {
        var parser = SSEParser()
        #expect(parser.feed(Array("data: x\r\rdata: y\r\r".utf8)).map(\.dataText) == ["x", "y"])
    }

    @Test func finishReturnsAnEventMissingItsBlankLine() {
        var parser = SSEParser()
        #expect(parser.feed(Array("data: {\"cut\":".utf8)).isEmpty)
        #expect(parser.finish()?.dataText == "{\"cut\":")
        #expect(parser.finish() == nil)
    }

    @Test func dropsEventsLargerThanTheLimit() {
        var parser = SSEParser(maxEventBytes: 16)
        let events = parser.feed(Array("data: \(String(repeating: "x", count: 100))\n\ndata: ok\n\n".utf8))
        #expect(events.map(\.dataText) == ["ok"])
        #expect(parser.oversizedEvents == 1)
    }
}
