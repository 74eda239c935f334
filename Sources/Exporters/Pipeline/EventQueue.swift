import Proxy
import Synchronization

/// Collects events for a writer that takes them in batches: pushes never wait, and whatever arrived
/// while the writer was busy or waiting out its window becomes its next batch. Bounded; overflow is
/// dropped and counted by the caller.
final class EventQueue: Sendable {
    /// How long a writer to disk lets events gather after the first one: a burst of requests costs one
    /// transaction or one file append, not one each, and the writer wakes once instead of per event.
    static let batchWindow = Duration.milliseconds(50)
    let window: Duration

    private let pending = Mutex<[ExchangeEvent]>([])
    private let wake: AsyncStream<Void>.Continuation
    let wakes: AsyncStream<Void>
    let capacity: Int

    init(capacity: Int, window: Duration = EventQueue.batchWindow) {
        self.capacity = capacity
        self.window = window
        (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// False when the queue is full.
    func push(_ event: ExchangeEvent) -> Bool {
        let accepted = pending.withLock { queue -> Bool in
            guard queue.count < capacity else { return false }
            queue.append(event)
            return true
        }
        if accepted { wake.yield() }
        return accepted
    }

    func drain() -> [ExchangeEvent] {
        pending.withLock { queue in
            defer { queue.removeAll(keepingCapacity: true) }
            return queue
        }
    }

    func finish() { wake.finish() }

    /// Calls `handle` with each batch until the queue is finished. Every push leaves a wake behind it
    /// (the stream keeps the newest), and a finished stream still delivers it, so no event is left over.
    func batches(_ handle: ([ExchangeEvent]) async -> Void) async {
        for await _ in wakes {
            if window > .zero { try? await Task.sleep(for: window) }
            let batch = drain()
            // Empty when a push landed between a drain and its wake.
            if !batch.isEmpty { await handle(batch) }
        }
    }
}
