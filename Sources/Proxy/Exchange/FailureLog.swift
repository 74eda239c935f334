import Logging
import Synchronization

/// Counts what went wrong in observability (never in forwarding) and logs each kind once, so a broken
/// exporter or a stream of unparseable bodies cannot flood the log.
package final class FailureLog: Sendable {
    package enum Kind: String, Sendable, CaseIterable {
        /// A request body that was not JSON, or a response that could not be read.
        case parse
        /// A bus subscriber's buffer was full.
        case busDrop = "bus_drop"
        /// The history store could not write.
        case store
        /// An exporter (trace file, OTLP push) failed.
        case exporter
        /// A response was not decoded because of its content encoding.
        case decode
    }

    private let counts = Mutex<[Kind: Int]>([:])
    private let logger: Logger

    package init(logger: Logger) {
        self.logger = logger
    }

    /// Counts one failure of `kind`; the first of each kind is logged as a warning with `message`.
    package func record(_ kind: Kind, _ message: @autoclosure () -> String) {
        let first = counts.withLock { counts -> Bool in
            counts[kind, default: 0] += 1
            return counts[kind] == 1
        }
        if first {
            logger.warning("\(message()) (further \(kind.rawValue) failures are counted, not logged)")
        }
    }

    package func count(_ kind: Kind) -> Int {
        counts.withLock { $0[kind] ?? 0 }
    }

    package var snapshot: [Kind: Int] {
        counts.withLock { $0 }
    }
}
