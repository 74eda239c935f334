import Foundation

/// A parsed JSON object, read with the small accessors below; wire formats are too varied for Codable.
public typealias JSONObject = [String: Any]

public enum JSON {
    /// Parses bytes that should hold one JSON object; nil for anything else.
    public static func object<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> JSONObject? {
        let parsed = bytes.withContiguousStorageIfAvailable { JSONParser.parse(UnsafeRawBufferPointer($0)) }
            ?? Array(bytes).withUnsafeBytes { JSONParser.parse($0) }
        return parsed as? JSONObject
    }

    /// Compact, key-sorted JSON text of a parsed value (for keeping a provider's raw usage).
    public static func text(_ value: Any) -> String? {
        guard JSONSerialization.isValidJSONObject(value),
              let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])
        else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}

extension Dictionary where Key == String, Value == Any {
    public func object(_ key: String) -> JSONObject? { self[key] as? JSONObject }
    public func array(_ key: String) -> [Any]? { self[key] as? [Any] }
    public func string(_ key: String) -> String? { self[key] as? String }
    public func bool(_ key: String) -> Bool? { self[key] as? Bool }

    /// A count: an integer, or a whole-valued number written with a fraction or exponent.
    public func int(_ key: String) -> Int? {
        switch self[key] {
        case let value as Int: return value
        case let value as Double where value.rounded() == value && abs(value) < 9e15: return Int(value)
        default: return nil
        }
    }

    public func double(_ key: String) -> Double? {
        switch self[key] {
        case let value as Double: return value
        case let value as Int: return Double(value)
        default: return nil
        }
    }
}
