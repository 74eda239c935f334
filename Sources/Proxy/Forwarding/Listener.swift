import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// The one HTTP listener, on a loopback port: proxy routes are relayed by a `RelayHandler` in each
/// connection's pipeline; Hummingbird serves whatever `fallback` does.
package struct Listener<Fallback: HTTPResponder>: Sendable where Fallback.Context == BasicRequestContext {
    package var host: String
    package var port: Int
    let responder: ProxyResponder<Fallback>
    let routes: ProxyRoutes
    let context: ProxyContext
    let pool: UpstreamPool
    let logger: Logger

    package init(host: String, port: Int, context: ProxyContext, pool: UpstreamPool, fallback: Fallback,
                address: ListenerAddress?, logger: Logger) {
        self.host = host
        self.port = port
        self.responder = ProxyResponder(fallback: fallback, address: address)
        self.routes = ProxyRoutes(providers: context.providers, address: address)
        self.context = context
        self.pool = pool
        self.logger = logger
    }

    /// Serves until the task is cancelled or SIGINT/SIGTERM arrives; `onRunning` gets the bound port.
    /// `services` (the bus's sinks) run beside it in one `ServiceGroup`: started before it, and stopped
    /// gracefully after it, in reverse order, once no request is left to record. Throws
    /// `ListenerError.portInUse` when the address is taken.
    package func run(services: [any Service] = [], handlingSignals: Bool = true, stopper: ListenerStopper? = nil,
                    onRunning: @escaping @Sendable (Int) async -> Void) async throws {
        let app = Application(
            responder: responder,
            server: .http1(configuration: .init(additionalChannelHandlers: [RelayHandler(routes: routes, context: context, pool: pool)])),
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
        do {
            let group = ServiceGroup(configuration: .init(services: services + [app],
                                                          gracefulShutdownSignals: handlingSignals ? [.sigterm, .sigint] : [],
                                                          logger: logger))
            stopper?.attach(group)
            try await group.run()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw ListenerError.portInUse(host: host, port: port)
        }
    }
}

/// Stops a listener gracefully from outside (a wrapper whose agent has exited).
package final class ListenerStopper: Sendable {
    private let group = Mutex<ServiceGroup?>(nil)
    private let stopped = Mutex(false)

    package init() {}

    func attach(_ serviceGroup: ServiceGroup) {
        let stopNow = group.withLock { group in
            group = serviceGroup
            return stopped.withLock { $0 }
        }
        if stopNow { Task { await serviceGroup.triggerGracefulShutdown() } }
    }

    package func stop() async {
        stopped.withLock { $0 = true }
        if let serviceGroup = group.withLock({ $0 }) { await serviceGroup.triggerGracefulShutdown() }
    }
}

package enum ListenerError: Error, CustomStringConvertible {
    case portInUse(host: String, port: Int)

    package var description: String {
        switch self {
        case .portInUse(let host, let port):
            return "ccglass: \(host):\(port) is already in use (another ccglass? check http://\(host):\(port)/api/health, or pick --port)"
        }
    }
}
