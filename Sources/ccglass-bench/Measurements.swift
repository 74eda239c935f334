import Foundation

/// Latency samples in seconds, summarised as percentiles.
struct Samples {
    var values: [Double] = []
    /// Requests that failed: a benchmark reports them, never hides them.
    var errors: [String] = []

    mutating func add(_ value: Double) { values.append(value) }
    mutating func add(contentsOf other: Samples) {
        values += other.values
        errors += other.errors
    }

    func percentile(_ p: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let rank = min(sorted.count - 1, max(0, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1))
        return sorted[rank]
    }

    var p50: Double { percentile(50) }
    var p99: Double { percentile(99) }
}

/// Resident memory of a process, from /proc.
enum ProcessMemory {
    /// Current and peak RSS in KiB, and how much of the current is private memory rather than pages of
    /// the binary and shared libraries mapped from disk (which other processes share and the kernel can drop).
    static func rss(pid: Int32) -> (current: Int, peak: Int, anonymous: Int) {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return (0, 0, 0) }
        func field(_ name: String) -> Int {
            status.split(separator: "\n").first { $0.hasPrefix(name) }
                .flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") } ?? 0
        }
        return (field("VmRSS:"), field("VmHWM:"), field("RssAnon:"))
    }
}

/// CPU time a process has used, from /proc (user + system, in clock ticks of 10 ms here).
enum ProcessCPU {
    static func seconds(pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let fields = stat.split(separator: ")").last?.split(separator: " "), fields.count > 13,
              let user = Double(fields[11]), let system = Double(fields[12]) else { return .nan }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

func ms(_ seconds: Double) -> String { String(format: "%.3f ms", seconds * 1000) }

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
