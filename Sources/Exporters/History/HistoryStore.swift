import Foundation
import GRDB
import Logging
import Proxy

/// The durable record of every exchange, in SQLite (WAL) at `<home>/history.sqlite`. Several ccglass
/// processes may write at once (a daemon and wrappers). It consumes the bus off the forwarding path and
/// writes in batches; when it cannot write, exchanges are dropped and counted, never the agent slowed.
package final class HistoryStore: Sendable {
    package let url: URL
    let pool: DatabasePool
    let parts = PartStore()
    static let sessionGap: TimeInterval = 30 * 60

    /// Opens (creating and migrating) the history at `url`.
    package init(url: URL, readOnly: Bool = false) throws {
        self.url = url
        var configuration = Configuration()
        configuration.readonly = readOnly
        // Another ccglass process may hold the write lock for a batch; wait rather than fail.
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in
            db.add(function: PartStore.textFunction)
            if !db.configuration.readonly {
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
        }
        if !readOnly {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            // auto_vacuum must be chosen before the first table exists.
            if !FileManager.default.fileExists(atPath: url.path) {
                let queue = try DatabaseQueue(path: url.path)
                try queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL") }
                try queue.close()
            }
        }
        pool = try DatabasePool(path: url.path, configuration: configuration)
        if !readOnly {
            try HistorySchema.migrator.migrate(pool)
        }
    }

    /// `<home>/history.sqlite`.
    package static func defaultURL(home: URL) -> URL {
        home.appendingPathComponent("history.sqlite")
    }

    /// Writes one batch in one transaction on GRDB's writer queue (never on an event loop thread); a
    /// failure drops the batch and is counted per exchange.
    package func record(_ events: [ExchangeEvent], failures: FailureLog) async {
        guard !events.isEmpty else { return }
        do {
            try await pool.write { db in try self.insert(events, db) }
        } catch {
            countFailure(error, events, failures)
        }
    }

    /// `record`, blocking the caller (for tools and tests that are not on an event loop).
    package func write(_ events: [ExchangeEvent], failures: FailureLog) {
        guard !events.isEmpty else { return }
        do {
            try pool.write { db in try insert(events, db) }
        } catch {
            countFailure(error, events, failures)
        }
    }

    private func insert(_ events: [ExchangeEvent], _ db: Database) throws {
        try parts.validate(db)
        // An exchange that also finished within the batch needs only its finished row.
        var finished = Set<String>()
        for case .finished(let exchange) in events { finished.insert(exchange.id) }
        for event in events {
            switch event {
            case .started(let exchange): if !finished.contains(exchange.id) { try insertStarted(exchange, db) }
            case .finished(let exchange):
                let members = exchange.format?.bodyMembers ?? WireFormatKind.anyBodyMembers
                try insertFinished(exchange, split: RequestBodySplit(body: Array(exchange.requestBody), members: members), db)
            case .updated: break
            }
        }
    }

    private func countFailure(_ error: any Error, _ events: [ExchangeEvent], _ failures: FailureLog) {
        for case .finished in events {
            failures.record(.store, "could not write \(url.path): \(error)")
        }
    }
}
