import Foundation

/// The real `ccglass serve`, started from the binary beside this one, with a scratch data directory.
final class CCGlassProcess {
    let process: Process
    let binary: URL
    let port: Int
    let home: URL
    var pid: Int32 { process.processIdentifier }

    private init(process: Process, binary: URL, port: Int, home: URL) {
        self.process = process
        self.binary = binary
        self.port = port
        self.home = home
    }

    /// `binary`: another build to run instead (the one beside this benchmark by default).
    static func start(upstream: String, extraArguments: [String] = [], binary other: String? = nil) throws -> CCGlassProcess {
        let binary = other.map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("ccglass")
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("ccglass-bench-\(getpid())-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let log = home.appendingPathComponent("serve.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = binary
        process.arguments = ["serve", "--port", "0", "--upstream", "anthropic=\(upstream)", "--log-level", "warning"] + extraArguments
        process.environment = ProcessInfo.processInfo.environment.merging(["CCGLASS_HOME": home.path]) { $1 }
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        for _ in 0..<600 {
            if let text = try? String(contentsOf: log, encoding: .utf8),
               let range = text.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                let port = Int(text[range].split(separator: ":").last ?? "") ?? 0
                return CCGlassProcess(process: process, binary: binary, port: port, home: home)
            }
            usleep(50_000)
        }
        process.terminate()
        throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "ccglass did not start; see \(log.path)"])
    }

    func stop() {
        process.stop()
        try? FileManager.default.removeItem(at: home)
    }
}

extension Process {
    /// SIGTERM, then SIGKILL after `grace`. Polls rather than `waitUntilExit()`, which can spin forever on Linux.
    func stop(grace: Duration = .seconds(5)) {
        guard isRunning else { return }
        terminate()
        let deadline = ContinuousClock.now + grace
        while isRunning && ContinuousClock.now < deadline { usleep(20_000) }
        if isRunning { kill(processIdentifier, SIGKILL) }
        while isRunning { usleep(20_000) }
    }
}
