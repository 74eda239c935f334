import ArgumentParser
import Foundation
import Proxy

/// How numbers look in terminal output.
enum Format {
    static func tokens(_ n: Int) -> String {
        switch n {
        case ..<10_000: return "\(n)"
        case ..<1_000_000: return String(format: "%.1fk", Double(n) / 1000)
        default: return String(format: "%.2fM", Double(n) / 1_000_000)
        }
    }

    static func usd(_ value: Double) -> String {
        value < 0.01 && value > 0 ? String(format: "$%.4f", value) : String(format: "$%.2f", value)
    }

    /// A cost whose `apiEquivalent` part is subscription traffic: marked `≈` (see `apiEquivalentNote`).
    static func usd(_ value: Double, apiEquivalent: Double) -> String {
        switch Billing.share(of: value, apiEquivalent: apiEquivalent) {
        case .none: return usd(value)
        case .all: return "≈" + usd(value)
        case .part: return usd(value) + " (≈" + usd(apiEquivalent) + ")"
        }
    }

    static let apiEquivalentNote = "≈ API-equivalent: signed-in (subscription) traffic is not billed per token; this is what the API would charge for it."

    static func bytes(_ n: Int64) -> String {
        ByteCountFormatter.string(fromByteCount: n, countStyle: .file)
    }

    static func time(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = Calendar.current.isDateInToday(date) ? "HH:mm:ss" : "yyyy-MM-dd HH:mm"
        return formatter.string(from: date)
    }
}

/// A column-aligned table for the terminal.
struct TextTable {
    let header: [String]
    var rows: [[String]] = []

    init(_ header: [String]) { self.header = header }

    mutating func add(_ row: [String]) { rows.append(row) }

    func render() -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                if column == row.count - 1 { return cell }
                return column == 0 ? cell + pad : pad + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

/// Dates on the command line: `2026-11-01`, ISO 8601, or an age (`30d`, `12h`, `90m`) meaning that long ago.
enum DateArgument {
    static func parse(_ text: String) throws -> Date {
        if let unit = text.last, let amount = Double(text.dropLast()), "dhm".contains(unit) {
            let seconds = amount * (unit == "d" ? 86_400 : unit == "h" ? 3_600 : 60)
            return Date().addingTimeInterval(-seconds)
        }
        let day = DateFormatter()
        day.dateFormat = "yyyy-MM-dd"
        if let date = day.date(from: text) { return date }
        if let date = ISO8601DateFormatter().date(from: text) { return date }
        throw ValidationError("cannot read the date '\(text)': use YYYY-MM-DD, ISO 8601, or an age like 30d")
    }
}
