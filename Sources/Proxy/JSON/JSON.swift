import Foundation

/// A parsed JSON object, read with the small accessors below; wire formats are too varied for Codable.
package typealias JSONObject = [String: Any]

package enum JSON {
    /// Parses bytes that should hold one JSON object; nil for anything else.
    package static func object<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> JSONObject? {
        let parsed = bytes.withContiguousStorageIfAvailable { JSONParser.parse(UnsafeRawBufferPointer($0)) }
            ?? Array(bytes).withUnsafeBytes { JSONParser.parse($0) }
        return parsed as? JSONObject
    }

    /// Compact, key-sorted JSON text of a parsed value (for keeping a provider's raw usage); nil for
    /// anything that is not JSON (a non-finite number, an unknown type).
    package static func text(_ value: Any) -> String? {
        var out: [UInt8] = []
        return write(value, to: &out, omitting: nil) ? String(decoding: out, as: UTF8.self) : nil
    }

    /// The same text with every member named `key` left out, at any depth (cache marks, for a block's
    /// identity from turn to turn).
    package static func text(_ value: Any, omitting key: String) -> String? {
        var out: [UInt8] = []
        return write(value, to: &out, omitting: key) ? String(decoding: out, as: UTF8.self) : nil
    }

    // Bytes, not a String: a prompt's text is written again whole for its blocks' identities, and
    // appending to a String scalar by scalar cost several times the parse.
    private static func write(_ value: Any, to out: inout [UInt8], omitting: String?) -> Bool {
        switch value {
        case let string as String:
            JSONWriter.quote(string, into: &out)
        case let bool as Bool:
            out += bool ? Array("true".utf8) : Array("false".utf8)
        case let int as Int:
            out += String(int).utf8
        case let double as Double:
            guard double.isFinite else { return false }
            out += (double.rounded() == double && abs(double) < 1e15 ? String(Int(double)) : String(double)).utf8
        case is NSNull:
            out += "null".utf8
        case let array as [Any]:
            out.append(UInt8(ascii: "["))
            for (index, item) in array.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                guard write(item, to: &out, omitting: omitting) else { return false }
            }
            out.append(UInt8(ascii: "]"))
        case let object as [String: Any]:
            out.append(UInt8(ascii: "{"))
            var first = true
            for key in object.keys.sorted() where key != omitting {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                JSONWriter.quote(key, into: &out)
                out.append(UInt8(ascii: ":"))
                guard write(object[key]!, to: &out, omitting: omitting) else { return false }
            }
            out.append(UInt8(ascii: "}"))
        default:
            return false
        }
        return true
    }
}

extension Dictionary where Key == String, Value == Any {
    package func object(_ key: String) -> JSONObject? { self[key] as? JSONObject }
    package func array(_ key: String) -> [Any]? { self[key] as? [Any] }
    package func string(_ key: String) -> String? { self[key] as? String }
    package func bool(_ key: String) -> Bool? { self[key] as? Bool }

    /// A count: an integer, or a whole-valued number written with a fraction or exponent.
    package func int(_ key: String) -> Int? {
        switch self[key] {
        case let value as Int: return value
        case let value as Double where value.rounded() == value && abs(value) < 9e15: return Int(value)
        default: return nil
        }
    }

    package func double(_ key: String) -> Double? {
        switch self[key] {
        case let value as Double: return value
        case let value as Int: return Double(value)
        default: return nil
        }
    }
}
