/// Splits a JSON array arriving in pieces into its elements as each one closes: Gemini's
/// `streamGenerateContent` without `alt=sse` streams its answers as one array, and waiting for the
/// closing bracket would show nothing until the end. Elements are objects or arrays; a body that is
/// not an array is left to be read whole.
struct JSONArrayStream {
    enum State: Equatable {
        case start
        /// Inside the array, between elements.
        case between
        case element
        /// The closing bracket came.
        case done
        /// The body is not an array (a plain answer, an error object): read it whole instead.
        case notAnArray
        /// Something that is not a JSON array of objects: nothing more is split.
        case broken
    }

    private(set) var state = State.start
    /// Elements larger than `maxElement`, skipped.
    private(set) var oversized = 0
    private let maxElement: Int
    private var element: [UInt8] = []
    private var depth = 0
    private var inString = false
    private var escaped = false

    init(maxElement: Int = 16 << 20) {
        self.maxElement = maxElement
    }

    /// The elements completed by `bytes`, in order.
    mutating func feed(_ bytes: some Collection<UInt8>) -> [[UInt8]] {
        var elements: [[UInt8]] = []
        for byte in bytes {
            switch state {
            case .start:
                if Self.isSpace(byte) { continue }
                state = byte == UInt8(ascii: "[") ? .between : .notAnArray
            case .between:
                if Self.isSpace(byte) || byte == UInt8(ascii: ",") { continue }
                if byte == UInt8(ascii: "]") {
                    state = .done
                } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                    state = .element
                    take(byte)
                } else {
                    state = .broken
                }
            case .element:
                if take(byte) {
                    if element.count <= maxElement { elements.append(element) } else { oversized += 1 }
                    element.removeAll(keepingCapacity: true)
                    state = .between
                }
            case .done, .notAnArray, .broken:
                return elements
            }
        }
        return elements
    }

    /// One byte of an element; true when it closes the element.
    private mutating func take(_ byte: UInt8) -> Bool {
        if element.count <= maxElement { element.append(byte) }
        if inString {
            if escaped {
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                inString = false
            }
            return false
        }
        switch byte {
        case UInt8(ascii: "\""): inString = true
        case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
        case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
        default: break
        }
        return depth == 0
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0a || byte == 0x0d || byte == 0x09
    }
}
