import Exporters
import Foundation
import Hummingbird
import Proxy
import Synchronization

/// `GET /api/live`: Server-Sent Events, one `exchange` event per change of any exchange: from this
/// process's bus as it happens, and from the history (other ccglass processes) within a second.
struct LiveFeed: Sendable {
    let bus: ExchangeBus
    let history: HistoryStore?

    func response() -> Response {
        let subscription = bus.subscribe("dashboard", capacity: 2000)
        let history = history
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                        body: ResponseBody { writer in
            let (merged, continuation) = AsyncStream<ExchangeRow?>.makeStream(bufferingPolicy: .bufferingNewest(2000))
            // What the page has been told already, so the history tail repeats nothing the bus delivered.
            let finished = FinishedIDs()
            let fromBus = Task {
                for await event in subscription.events {
                    if case .finished(let exchange) = event { finished.ids.withLock { _ = $0.insert(exchange.id) } }
                    continuation.yield(ExchangeRow(event.exchange))
                }
            }
            let fromHistory = Task(executorPreference: OffLoopExecutor.reading) {
                var seen: [String: String] = [:]
                var first = true
                while !Task.isCancelled {
                    if let rows = try? history?.recent(limit: 50) {
                        for row in rows.reversed() where seen[row.id] != row.phase {
                            seen[row.id] = row.phase
                            let known = finished.ids.withLock { $0.contains(row.id) }
                            if !first && !known { continuation.yield(row) }
                        }
                        if seen.count > 5000 { seen.removeAll() }
                        finished.ids.withLock { if $0.count > 5000 { $0.removeAll() } }
                    }
                    first = false
                    try? await Task.sleep(for: .seconds(1))
                }
            }
            let heartbeat = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(15))
                    continuation.yield(nil)  // keep-alive
                }
            }
            defer {
                fromBus.cancel()
                fromHistory.cancel()
                heartbeat.cancel()
            }
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            try await writer.write(ByteBuffer(string: ": ccglass live feed\nretry: 2000\n\n"))
            for await item in merged {
                guard let row = item else {
                    try await writer.write(ByteBuffer(string: ": heartbeat\n\n"))
                    continue
                }
                let data = try encoder.encode(row)
                try await writer.write(ByteBuffer(string: "event: exchange\ndata: \(String(decoding: data, as: UTF8.self))\n\n"))
            }
            try await writer.finish(nil)
        })
    }
}


/// Ids the feed has sent as finished.
private final class FinishedIDs: Sendable {
    let ids = Mutex<Set<String>>([])
}
