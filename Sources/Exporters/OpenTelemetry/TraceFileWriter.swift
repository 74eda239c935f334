import Foundation

/// OTLP JSON Lines trace files: `<dir>/ccglass-traces-YYYYMMDD.jsonl`, one `TracesData` per line
/// (the OTLP File Exporter format). A file over `maxBytes` is rotated to `…-N.jsonl`; only the newest
/// `keep` files stay.
package final class TraceFileWriter: @unchecked Sendable {
    // Used from one exporter task only.
    let directory: URL
    let maxBytes: Int
    let keep: Int

    package init(directory: URL, maxBytes: Int = 100 << 20, keep: Int = 10) {
        self.directory = directory
        self.maxBytes = maxBytes
        self.keep = keep
    }

    /// Today's file (UTC date).
    func currentFile(now: Date = Date()) -> URL {
        var seconds = time_t(now.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let day = (Int(parts.tm_year) + 1900) * 10_000 + (Int(parts.tm_mon) + 1) * 100 + Int(parts.tm_mday)
        return directory.appendingPathComponent("ccglass-traces-\(day).jsonl")
    }

    /// The open file and its path; reopened when the day changes or the file was rotated.
    private var open: (path: String, fd: Int32)?

    deinit {
        if let open { close(open.fd) }
    }

    /// Appends one line (a single write, so lines from several processes never interleave).
    func append(_ line: Data) throws {
        let file = currentFile()
        if open?.path != file.path { try reopen(file) }
        var status = stat()
        if fstat(open!.fd, &status) == 0, status.st_size > 0, Int(status.st_size) + line.count > maxBytes {
            try rotate(file)
            try reopen(file)
        }
        let fd = open!.fd
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

    private func reopen(_ file: URL) throws {
        if let open { close(open.fd) }
        open = nil
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let fd = Glibc.open(file.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        open = (file.path, fd)
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
