/// Finds where the members of a top-level JSON object, and the elements of its arrays, lie in the raw
/// bytes, without decoding or re-encoding anything: the history store cuts a request body at these
/// offsets and must be able to glue it back byte for byte.
struct JSONSlicer {
    let bytes: [UInt8]
    private var i = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    struct Member {
        let key: String
        /// The value's bytes, e.g. `[…]` or `"…"`.
        let value: Range<Int>
    }

    /// The members of the top-level object, in order; nil if the bytes are not one JSON object.
    static func members(of bytes: [UInt8]) -> [Member]? {
        var slicer = JSONSlicer(bytes)
        return slicer.topLevelMembers()
    }

    /// The element ranges of the array at `range` (which must start with `[`).
    static func elements(of bytes: [UInt8], in range: Range<Int>) -> [Range<Int>]? {
        var slicer = JSONSlicer(bytes)
        slicer.i = range.lowerBound
        guard slicer.peek() == UInt8(ascii: "[") else { return nil }
        slicer.i += 1
        var elements: [Range<Int>] = []
        slicer.skipSpace()
        if slicer.peek() == UInt8(ascii: "]") { return slicer.i + 1 == range.upperBound ? [] : nil }
        while true {
            slicer.skipSpace()
            let start = slicer.i
            guard slicer.skipValue() else { return nil }
            elements.append(start..<slicer.i)
            slicer.skipSpace()
            switch slicer.peek() {
            case UInt8(ascii: ","): slicer.i += 1
            case UInt8(ascii: "]"): return slicer.i + 1 == range.upperBound ? elements : nil
            default: return nil
            }
        }
    }

    private mutating func topLevelMembers() -> [Member]? {
        skipSpace()
        guard peek() == UInt8(ascii: "{") else { return nil }
        i += 1
        var members: [Member] = []
        skipSpace()
        if peek() == UInt8(ascii: "}") {
            i += 1
            return trailingSpaceOnly() ? [] : nil
        }
        while true {
            skipSpace()
            let keyStart = i
            guard skipString() else { return nil }
            let key = String(decoding: bytes[(keyStart + 1)..<(i - 1)], as: UTF8.self)
            skipSpace()
            guard peek() == UInt8(ascii: ":") else { return nil }
            i += 1
            skipSpace()
            let valueStart = i
            guard skipValue() else { return nil }
            members.append(Member(key: key, value: valueStart..<i))
            skipSpace()
            switch peek() {
            case UInt8(ascii: ","): i += 1
            case UInt8(ascii: "}"):
                i += 1
                return trailingSpaceOnly() ? members : nil
            default: return nil
            }
        }
    }

    private func peek() -> UInt8? { i < bytes.count ? bytes[i] : nil }

    private mutating func trailingSpaceOnly() -> Bool {
        skipSpace()
        return i == bytes.count
    }

    private mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    private mutating func skipString() -> Bool {
        guard peek() == UInt8(ascii: "\"") else { return false }
        i += 1
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "\\"): i += 2
            case UInt8(ascii: "\""):
                i += 1
                return true
            default: i += 1
            }
        }
        return false
    }

    /// Skips one value; containers are matched by depth, strings by their quotes.
    private mutating func skipValue() -> Bool {
        guard let first = peek() else { return false }
        switch first {
        case UInt8(ascii: "\""):
            return skipString()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            while i < bytes.count {
                switch bytes[i] {
                case UInt8(ascii: "\""):
                    guard skipString() else { return false }
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 {
                        i += 1
                        return true
                    }
                default: break
                }
                i += 1
            }
            return false
        default:
            // number, true, false, null
            let start = i
            while i < bytes.count, !",}] \n\r\t".utf8.contains(bytes[i]) { i += 1 }
            return i > start
        }
    }
}
