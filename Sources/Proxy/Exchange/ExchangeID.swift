import Foundation
import Glibc
import Synchronization

/// Exchange ids: UUIDv7, so they sort by time and fit OpenTelemetry's 16-byte trace/8-byte span ids.
package enum ExchangeID {
    package static func make(at date: Date = Date()) -> String {
        var bytes = randomBytes.withLock { $0.take16() }
        let millis = UInt64(date.timeIntervalSince1970 * 1000)
        for i in 0..<6 { bytes[i] = UInt8((millis >> (8 * (5 - UInt64(i)))) & 0xff) }
        bytes[6] = (bytes[6] & 0x0f) | 0x70
        bytes[8] = (bytes[8] & 0x3f) | 0x80
        var text: [UInt8] = []
        text.reserveCapacity(36)
        for (index, digit) in Hex.string(bytes).utf8.enumerated() {
            if index == 8 || index == 12 || index == 16 || index == 20 { text.append(UInt8(ascii: "-")) }
            text.append(digit)
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// The system's random bytes, fetched 4 KB at a time: an id is made before each request goes upstream,
/// and two `getrandom` calls per id were the only syscalls on that path besides the socket's own.
private let randomBytes = Mutex(RandomBlock())

private struct RandomBlock: ~Copyable {
    private var block = [UInt8](repeating: 0, count: 4096)
    private var used = 4096

    mutating func take16() -> [UInt8] {
        if used + 16 > block.count {
            block.withUnsafeMutableBytes { arc4random_buf($0.baseAddress!, $0.count) }  // never fails
            used = 0
        }
        defer { used += 16 }
        return Array(block[used..<used + 16])
    }
}

/// Lowercase hex without `String(format:)`, which is slow on Linux and sits on hot paths here.
package enum Hex {
    package static func string(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The bytes `hex` spells (lower- or upper-case digits); a stray character ends it.
    package static func data(_ hex: String) -> Data {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(hex.utf8.count / 2)
        var high: UInt8?
        for char in hex.utf8 {
            let nibble: UInt8
            switch char {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = char - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = char - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = char - UInt8(ascii: "A") + 10
            default: return Data(bytes)
            }
            if let first = high {
                bytes.append(first << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return Data(bytes)
    }
}
