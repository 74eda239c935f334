import Foundation
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

    /// The limit counts the event's bytes: exactly at it is kept, one byte over is dropped.
    @Test func theLimitIsExact() {
        var parser = SSEParser(maxEventBytes: 16)
        let atLimit = "data: " + String(repeating: "x", count: 10)  // 16 bytes of line
        let overLimit = "data: " + String(repeating: "y", count: 11)
        let events = parser.feed(Array("\(atLimit)\n\n\(overLimit)\n\ndata: ok\n\n".utf8))
        #expect(events.map(\.dataText) == [String(repeating: "x", count: 10), "ok"])
        #expect(parser.oversizedEvents == 1)
    }
}

@Suite struct JSONParserTests {
    /// Every value parses to what Foundation's parser says, the Claude Code fixtures included.
    @Test func agreesWithFoundationOnRealBodies() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Fixtures/claude-code").standardized
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path) where file.hasSuffix(".json") {
            let data = try Data(contentsOf: directory.appendingPathComponent(file))
            let ours = try #require(JSON.object(data))
            let theirs = try JSONSerialization.jsonObject(with: data) as! NSDictionary
            #expect(NSDictionary(dictionary: ours).isEqual(theirs), "\(file)")
        }
    }

    @Test(arguments: [
        (#"{"a":"caf\u00e9 \ud83d\ude00 \"q\" \\ \/ \n\t"}"#, "café 😀 \"q\" \\ / \n\t"),
        (#"{"a":"plain"}"#, "plain"),
    ])
    func unescapesStrings(json: String, expected: String) throws {
        #expect(JSON.object(Array(json.utf8))?.string("a") == expected)
    }

    @Test func numbersKeepTheirKind() throws {
        let object = try #require(JSON.object(Array(#"{"i":42,"neg":-7,"big":12345678901234,"f":0.5,"e":1e3,"t":true,"n":null}"#.utf8)))
        #expect(object.int("i") == 42 && object.int("neg") == -7 && object.int("big") == 12345678901234)
        #expect(object.double("f") == 0.5 && object.int("e") == 1000)
        #expect(object.bool("t") == true && object.int("t") == nil)
        #expect(object["n"] is NSNull)
    }

    /// Integers are read straight from their digits up to 18 of them; longer ones still come out right.
    @Test(arguments: [
        ("0", 0), ("-0", 0), ("-42", -42), ("999999999999999999", 999_999_999_999_999_999),
        ("-999999999999999999", -999_999_999_999_999_999), ("9223372036854775807", Int.max), ("-9223372036854775808", Int.min),
    ])
    func integersAtEveryLength(text: String, expected: Int) throws {
        let object = try #require(JSON.object(Array(#"{"n":\#(text)}"#.utf8)))
        #expect(object["n"] as? Int == expected)
    }

    @Test func anIntegerTooBigForIntBecomesADouble() throws {
        let object = try #require(JSON.object(Array(#"{"n":92233720368547758070}"#.utf8)))
        #expect(object["n"] as? Double == 92233720368547758070.0)
    }

    @Test(arguments: [#"{"a":1,}"#, #"{"a":01}"#, #"{"a":"\ud800"}"#, #"{"a":tru}"#, #"{"a":1} x"#, #"{"a":"\q"}"#, "{", #"[1,2"#, "\"raw\nnewline\""])
    func rejectsInvalidJSON(text: String) {
        #expect(Array(text.utf8).withUnsafeBytes { JSONParser.parse($0) } == nil)
    }

    @Test func deepNestingIsRefusedNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(Array(deep.utf8).withUnsafeBytes { JSONParser.parse($0) } == nil)
    }
}

@Suite struct JSONParserUTF8Tests {
    @Test func invalidUTF8InAStringIsAParseFailure() {
        let bytes: [UInt8] = Array(#"{"a":""#.utf8) + [0xff, 0xfe] + Array(#""}"#.utf8)
        #expect(JSON.object(bytes) == nil)
        let key: [UInt8] = Array(#"{""#.utf8) + [0xc3] + Array(#"":1}"#.utf8)  // a truncated two-byte sequence
        #expect(JSON.object(key) == nil)
    }

    @Test func validUTF8WithoutEscapesParses() {
        #expect(JSON.object(Array(#"{"clé":"naïve 😀"}"#.utf8))?.string("clé") == "naïve 😀")
    }
}

@Suite struct JSONTextTests {
    @Test func writesSortedCompactJSONThatParsesBack() throws {
        let value: [String: Any] = ["b": [1, 2.5, true, NSNull()], "a": "quote \" backslash \\ newline \n tab \t bell \u{07} é", "c": ["z": 0, "y": -3]]
        let text = try #require(JSON.text(value))
        #expect(text.hasPrefix(#"{"a":"#) && text.contains(#""c":{"y":-3,"z":0}"#) && text.contains(#"[1,2.5,true,null]"#))
        let back = try #require(JSON.object(Array(text.utf8)))
        #expect(NSDictionary(dictionary: back).isEqual(NSDictionary(dictionary: value)))
        #expect(JSON.text(["x": Double.nan]) == nil)
    }
}
