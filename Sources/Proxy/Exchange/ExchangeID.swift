import Foundation
import Glibc
import Synchronization

/// Exchange ids: UUIDv7, so they sort by time and fit OpenTelemetry's 16-byte trace/8-byte span ids.
public enum ExchangeID {
    public static func make(at date: Date = Date()) -> String {
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
public enum Hex {
    public static func string(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
