/// Builds compact JSON text directly from typed values: no `Any`, no `Encoder`. The forwarding path
/// and the exporters write JSON for every exchange, where `JSONEncoder` would cost more than the rest.
public struct JSONWriter {
    public private(set) var text = ""
    private var needsComma: [Bool] = [false]

    public init() {
        text.reserveCapacity(1024)
    }

    public mutating func beginObject() { value(); text += "{"; needsComma.append(false) }
    public mutating func endObject() { text += "}"; needsComma.removeLast() }
    public mutating func beginArray() { value(); text += "["; needsComma.append(false) }
    public mutating func endArray() { text += "]"; needsComma.removeLast() }

    /// Starts a member of the current object: what is written next is its value.
    public mutating func key(_ name: String) {
        separator()
        Self.quote(name, into: &text)
        text += ":"
        needsComma[needsComma.count - 1] = false
    }

    public mutating func string(_ value: String) { self.value(); Self.quote(value, into: &text) }
    public mutating func int(_ value: Int) { self.value(); text += String(value) }
    public mutating func bool(_ value: Bool) { self.value(); text += value ? "true" : "false" }
    public mutating func null() { value(); text += "null" }

    /// A finite double in its shortest exact form (non-finite values, which JSON cannot hold, as 0).
    public mutating func double(_ value: Double) { self.value(); text += value.isFinite ? "\(value)" : "0" }

    // Members, skipped when nil (as synthesized `Codable` does).
    public mutating func field(_ name: String, _ value: String?) { if let value { key(name); string(value) } }
    public mutating func field(_ name: String, _ value: Int?) { if let value { key(name); int(value) } }
    public mutating func field(_ name: String, _ value: Double?) { if let value { key(name); double(value) } }
    public mutating func field(_ name: String, _ value: Bool?) { if let value { key(name); bool(value) } }
    public mutating func field(_ name: String, _ values: [String]) {
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
    public static func quote(_ value: String, into out: inout String) {
        out += "\""
        // Most strings need no escaping: copy them whole.
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            out += value
        } else {
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case _ where scalar.value < 0x20:
                    let hex = Array("0123456789abcdef")
                    out += "\\u00" + String(hex[Int(scalar.value >> 4)]) + String(hex[Int(scalar.value & 0xf)])
                default: out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
