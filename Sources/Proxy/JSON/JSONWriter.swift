/// Builds compact JSON text directly from typed values: no `Any`, no `Encoder`. The forwarding path
/// and the exporters write JSON for every exchange, where `JSONEncoder` would cost more than the rest.
package struct JSONWriter {
    package private(set) var text = ""
    private var needsComma: [Bool] = [false]

    package init() {
        text.reserveCapacity(1024)
    }

    package mutating func beginObject() { value(); text += "{"; needsComma.append(false) }
    package mutating func endObject() { text += "}"; needsComma.removeLast() }
    package mutating func beginArray() { value(); text += "["; needsComma.append(false) }
    package mutating func endArray() { text += "]"; needsComma.removeLast() }

    /// Starts a member of the current object: what is written next is its value.
    package mutating func key(_ name: String) {
        separator()
        Self.quote(name, into: &text)
        text += ":"
        needsComma[needsComma.count - 1] = false
    }

    package mutating func string(_ value: String) { self.value(); Self.quote(value, into: &text) }
    package mutating func int(_ value: Int) { self.value(); text += String(value) }
    package mutating func bool(_ value: Bool) { self.value(); text += value ? "true" : "false" }
    package mutating func null() { value(); text += "null" }

    /// A finite double in its shortest exact form (non-finite values, which JSON cannot hold, as 0).
    package mutating func double(_ value: Double) { self.value(); text += value.isFinite ? "\(value)" : "0" }

    // Members, skipped when nil (as synthesized `Codable` does).
    package mutating func field(_ name: String, _ value: String?) { if let value { key(name); string(value) } }
    package mutating func field(_ name: String, _ value: Int?) { if let value { key(name); int(value) } }
    package mutating func field(_ name: String, _ value: Double?) { if let value { key(name); double(value) } }
    package mutating func field(_ name: String, _ value: Bool?) { if let value { key(name); bool(value) } }
    package mutating func field(_ name: String, _ values: [String]) {
        key(name)
        beginArray()
        for value in values { string(value) }
        endArray()
    }

    private mutating func value() {
        separator()
        needsComma[needsComma.count - 1] = true
    }

    private mutating func separator() {
        if needsComma[needsComma.count - 1] { text += "," }
    }

    /// Appends `value` as a JSON string literal.
    package static func quote(_ value: String, into out: inout String) {
        // Most strings need no escaping: copy them whole.
        if !value.utf8.contains(where: needsEscape) {
            out += "\""
            out += value
            out += "\""
        } else {
            var bytes: [UInt8] = []
            quote(value, into: &bytes)
            out += String(decoding: bytes, as: UTF8.self)
        }
    }

    /// Appends `value` as a JSON string literal, as bytes: runs that need no escape are copied whole.
    package static func quote(_ value: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { bytes in
            var run = 0
            for index in 0..<bytes.count where needsEscape(bytes[index]) {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<index]))
                run = index + 1
                switch bytes[index] {
                case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
                case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
                case UInt8(ascii: "\n"): out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
                case UInt8(ascii: "\r"): out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
                case UInt8(ascii: "\t"): out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    out += Array("\\u00".utf8) + [hex[Int(bytes[index] >> 4)], hex[Int(bytes[index] & 0xf)]]
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run...]))
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }
}
