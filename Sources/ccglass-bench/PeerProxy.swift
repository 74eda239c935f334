import Foundation

/// Another proxy in front of the same upstream, for comparison:
/// - mitmproxy (`pip install mitmproxy`) in reverse mode, streaming: the peer people reach for to see an
///   agent's traffic;
/// - haproxy in HTTP mode: what a mature C reverse proxy that parses HTTP but records nothing costs;
/// - socat as a plain TCP relay: the floor, what one more process between client and upstream costs
///   on this machine before any HTTP work.
final class PeerProxy {
    let name: String
    let process: Process
    let port: Int
    let version: String
    let config: URL?
    /// A child process per connection (socat): the parent's memory says nothing.
    let forksPerConnection: Bool
    /// Holds a streamed response's chunks a while (haproxy, ~100 ms by default: tuned for throughput), so
    /// per-event delivery would measure its buffering, not its cost.
    let holdsStreamedChunks: Bool
    var pid: Int32 { process.processIdentifier }
    var memoryPID: Int32? { forksPerConnection ? nil : pid }

    private init(name: String, process: Process, port: Int, version: String, config: URL?,
                 forksPerConnection: Bool, holdsStreamedChunks: Bool) {
        self.name = name
        self.config = config
        self.process = process
        self.port = port
        self.version = version
        self.forksPerConnection = forksPerConnection
        self.holdsStreamedChunks = holdsStreamedChunks
    }

    /// The peers installed on this machine, each started and listening; one that fails to start is
    /// reported and left out.
    static func startAll(upstreamPort: Int) -> [PeerProxy] {
        var peers: [PeerProxy] = []
        func add(_ peer: () throws -> PeerProxy) {
            do { peers.append(try peer()) } catch { print("ccglass-bench: \(error.localizedDescription); left out") }
        }
        if let binary = executable("mitmdump") {
            add { try start("mitmproxy", binary, ["--mode", "reverse:http://127.0.0.1:\(upstreamPort)",
                                                         "--listen-host", "127.0.0.1", "--listen-port", "PORT",
                                                         "--set", "stream_large_bodies=1", "--set", "flow_detail=0", "-q"],
                                   version: firstLine(binary, "--version").replacingOccurrences(of: "Mitmproxy: ", with: "")) }
        }
        if let binary = executable("haproxy") {
            let config = FileManager.default.temporaryDirectory.appendingPathComponent("ccglass-bench-haproxy-\(getpid()).cfg")
            let text = """
            global
              nbthread 2
            defaults
              mode http
              timeout connect 5s
              timeout client 60s
              timeout server 60s
              option http-no-delay
            frontend front
              bind 127.0.0.1:PORT
              default_backend upstream
            backend upstream
              server mock 127.0.0.1:\(upstreamPort)

            """
            add { try start("haproxy", binary, ["-db", "-f", config.path], config: (config, text), holdsStreamedChunks: true,
                            version: firstLine(binary, "-v").split(separator: " ").dropFirst(2).first.map(String.init) ?? "?") }
        }
        if let binary = executable("socat") {
            add { try start("socat", binary, ["TCP-LISTEN:PORT,bind=127.0.0.1,fork,reuseaddr,nodelay",
                                              "TCP:127.0.0.1:\(upstreamPort),nodelay"], forksPerConnection: true,
                            version: firstLine(binary, "-V", line: 1).split(separator: " ").dropFirst(2).first.map(String.init) ?? "?") }
        }
        return peers
    }

    /// `PORT` in the arguments and in the config file's text becomes a free port.
    private static func start(_ name: String, _ binary: URL, _ arguments: [String], config: (url: URL, text: String)? = nil,
                              forksPerConnection: Bool = false, holdsStreamedChunks: Bool = false, version: String) throws -> PeerProxy {
        let port = FreePort.pick()
        if let config {
            try config.text.replacingOccurrences(of: "PORT", with: "\(port)").write(to: config.url, atomically: true, encoding: .utf8)
        }
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments.map { $0.replacingOccurrences(of: "PORT", with: "\(port)") }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<200 where process.isRunning {
            if FreePort.accepts(port) {
                return PeerProxy(name: name, process: process, port: port, version: version, config: config?.url,
                                 forksPerConnection: forksPerConnection, holdsStreamedChunks: holdsStreamedChunks)
            }
            usleep(50_000)
        }
        process.stop()
        if let config { try? FileManager.default.removeItem(at: config.url) }
        throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "\(name) did not start listening on :\(port)"])
    }

    func stop() {
        process.stop()
        if let config { try? FileManager.default.removeItem(at: config) }
    }

    /// `name` on PATH, else in `.venv-bench/bin` (where `scripts/setup --bench` puts mitmproxy).
    static func executable(_ name: String) -> URL? {
        ((ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + [".venv-bench/bin"])
            .map { URL(fileURLWithPath: $0).appendingPathComponent(name) }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    private static func firstLine(_ binary: URL, _ argument: String, line: Int = 0) -> String {
        let process = Process()
        let pipe = Pipe()
        process.executableURL = binary
        process.arguments = [argument]
        process.standardOutput = pipe
        process.standardError = pipe
        guard (try? process.run()) != nil else { return "?" }
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let lines = text.split(separator: "\n")
        return lines.count > line ? String(lines[line]) : "?"
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
