import Foundation

/// OTLP JSON Lines trace files: `<dir>/ccglass-traces-YYYYMMDD.jsonl`, one `TracesData` per line
/// (the OTLP File Exporter format). A file over `maxBytes` is rotated to `…-N.jsonl`; only the newest
/// `keep` files stay.
public final class TraceFileWriter: @unchecked Sendable {
    // Used from one exporter task only.
    let directory: URL
    let maxBytes: Int
    let keep: Int

    public init(directory: URL, maxBytes: Int = 100 << 20, keep: Int = 10) {
        self.directory = directory
        self.maxBytes = maxBytes
        self.keep = keep
    }

    /// Today's file (UTC date).
    func currentFile(now: Date = Date()) -> URL {
        let formatter = DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd"
        return directory.appendingPathComponent("ccglass-traces-\(formatter.string(from: now)).jsonl")
    }

    /// Appends one line (a single write, so lines from several processes never interleave).
    func append(_ line: Data) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = currentFile()
        let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0
        if size > 0, size + line.count > maxBytes { try rotate(file) }
        let fd = open(file.path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        var data = line
        data.append(0x0A)
        try data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                guard written > 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
                offset += written
            }
        }
    }

    private func rotate(_ file: URL) throws {
        let stem = file.deletingPathExtension().lastPathComponent
        var index = 1
        while FileManager.default.fileExists(atPath: directory.appendingPathComponent("\(stem)-\(index).jsonl").path) { index += 1 }
        try FileManager.default.moveItem(at: file, to: directory.appendingPathComponent("\(stem)-\(index).jsonl"))
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: [.contentModificationDateKey])
            .filter { $0.lastPathComponent.hasPrefix("ccglass-traces-") && $0.pathExtension == "jsonl" }
            .sorted { modified($0) > modified($1) }
        for old in files.dropFirst(max(0, keep - 1)) { try? FileManager.default.removeItem(at: old) }
    }

    private func modified(_ url: URL) -> Date {
        (try? url.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate) ?? .distantPast
    }
}
