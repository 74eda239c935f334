import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix

/// The one HTTP listener: proxy routes plus whatever `fallback` serves, on a loopback port.
public struct Listener<Fallback: HTTPResponder>: Sendable where Fallback.Context == BasicRequestContext {
    public var host: String
    public var port: Int
    let responder: ProxyResponder<Fallback>
    let logger: Logger

    public init(host: String, port: Int, forwarder: Forwarder, providers: ProviderTable, fallback: Fallback, logger: Logger) {
        self.host = host
        self.port = port
        self.responder = ProxyResponder(forwarder: forwarder, providers: providers, fallback: fallback)
        self.logger = logger
    }

    /// Serves until the task is cancelled or SIGINT/SIGTERM arrives; `onRunning` gets the bound port.
    /// Throws `ListenerError.portInUse` when the address is taken.
    public func run(onRunning: @escaping @Sendable (Int) async -> Void) async throws {
        let app = Application(
            responder: responder,
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
        do {
            try await app.runService()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw ListenerError.portInUse(host: host, port: port)
        }
    }
}

public enum ListenerError: Error, CustomStringConvertible {
    case portInUse(host: String, port: Int)

    public var description: String {
        switch self {
        case .portInUse(let host, let port):
            return "ccglass: \(host):\(port) is already in use (another ccglass? check http://\(host):\(port)/api/health, or pick --port)"
        }
    }
}
