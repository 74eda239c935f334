import Proxy
import Synchronization

/// Collects events for a writer that takes them in batches: pushes never wait, and whatever arrived
/// while the writer was busy becomes its next batch. Bounded; overflow is dropped and counted by the caller.
final class EventQueue: Sendable {
    private let pending = Mutex<[ExchangeEvent]>([])
    private let wake: AsyncStream<Void>.Continuation
    let wakes: AsyncStream<Void>
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
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
}
