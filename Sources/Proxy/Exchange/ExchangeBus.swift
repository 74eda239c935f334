import Foundation
import Synchronization

/// What happened to an exchange.
package enum ExchangeEvent: Sendable {
    case started(Exchange)
    case updated(Exchange)
    case finished(Exchange)

    package var exchange: Exchange {
        switch self {
        case .started(let e), .updated(let e), .finished(let e): return e
        }
    }

    package enum Kind: Sendable {
        case started, updated, finished
    }

    package var kind: Kind {
        switch self {
        case .started: .started
        case .updated: .updated
        case .finished: .finished
        }
    }
}

/// Fans exchange events out to exporters. Publishing never waits: each subscriber has its own bounded
/// buffer, and an event that does not fit is dropped and counted rather than slowing the forwarding path.
package final class ExchangeBus: Sendable {
    private struct Subscriber {
        let name: String
        let kinds: Set<ExchangeEvent.Kind>
        let continuation: AsyncStream<ExchangeEvent>.Continuation
    }

    private let subscribers = Mutex<[UInt64: Subscriber]>([:])
    private let nextID = Atomic<UInt64>(0)
    private let failures: FailureLog

    package init(failures: FailureLog) {
        self.failures = failures
    }

    /// One subscriber's stream, and the handle to end it.
    package struct Subscription: Sendable {
        package let events: AsyncStream<ExchangeEvent>
        let id: UInt64
    }

    /// A stream of the events of `kinds` published from now on. `capacity` bounds what may wait unread.
    /// Each event handed over wakes the subscriber on the forwarding thread, so take only what you read.
    package func subscribe(_ name: String, capacity: Int = 10_000,
                          kinds: Set<ExchangeEvent.Kind> = [.started, .updated, .finished]) -> Subscription {
        let id = nextID.add(1, ordering: .relaxed).newValue
        let (stream, continuation) = AsyncStream<ExchangeEvent>.makeStream(bufferingPolicy: .bufferingOldest(capacity))
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        subscribers.withLock { $0[id] = Subscriber(name: name, kinds: kinds, continuation: continuation) }
        return Subscription(events: stream, id: id)
    }

    /// Ends one subscription: what it has buffered is still delivered, then its stream finishes.
    package func end(_ subscription: Subscription) {
        subscribers.withLock { $0[subscription.id] }?.continuation.finish()
    }

    package func publish(_ event: ExchangeEvent) {
        let current = subscribers.withLock { Array($0.values) }
        let kind = event.kind
        for subscriber in current where subscriber.kinds.contains(kind) {
            if case .dropped = subscriber.continuation.yield(event) {
                failures.record(.busDrop, "\(subscriber.name) fell behind; exchange events are being dropped")
            }
        }
    }

    /// Ends every subscription (at shutdown, so exporters can drain and stop).
    package func finish() {
        let current = subscribers.withLock { Array($0.values) }
        for subscriber in current { subscriber.continuation.finish() }
    }
}
