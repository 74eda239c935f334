import Foundation

/// mitmproxy (`pip install mitmproxy`) in reverse mode in front of the same upstream: the peer people
/// reach for to see an agent's traffic. Streams bodies, as an observability proxy must.
final class Mitmproxy {
    let process: Process
    let port: Int
    let version: String
    var pid: Int32 { process.processIdentifier }

    private init(process: Process, port: Int, version: String) {
        self.process = process
        self.port = port
        self.version = version
    }

    /// nil when `mitmdump` is not on the PATH.
    static func start(upstream: String) throws -> Mitmproxy? {
        guard let binary = executable("mitmdump") else { return nil }
        let port = FreePort.pick()
        let process = Process()
        process.executableURL = binary
        process.arguments = ["--mode", "reverse:\(upstream)", "--listen-host", "127.0.0.1", "--listen-port", "\(port)",
                             "--set", "stream_large_bodies=1", "--set", "flow_detail=0", "-q"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<200 where process.isRunning {
            if FreePort.accepts(port) { return Mitmproxy(process: process, port: port, version: versionString(binary)) }
            usleep(50_000)
        }
        process.terminate()
        throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "mitmdump did not start listening on :\(port)"])
    }

    func stop() { process.stop() }

    static func executable(_ name: String) -> URL? {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
            .map { URL(fileURLWithPath: String($0)).appendingPathComponent(name) }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    static func versionString(_ binary: URL) -> String {
        let process = Process()
        let pipe = Pipe()
        process.executableURL = binary
        process.arguments = ["--version"]
        process.standardOutput = pipe
        guard (try? process.run()) != nil else { return "?" }
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return text.split(separator: "\n").first.map { $0.replacingOccurrences(of: "Mitmproxy: ", with: "") } ?? "?"
    }
}

/// Loopback TCP ports for peers that cannot report the port they bound.
enum FreePort {
    static func pick() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        return address
    }
}
