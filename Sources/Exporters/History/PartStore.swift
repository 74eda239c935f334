import Foundation
import GRDB
import Proxy
import Synchronization

/// Request-body parts stored once by SHA-256, and conversation chains over them. Remembers recent ids so
/// a turn that resends a long conversation costs lookups only for its new messages.
final class PartStore: Sendable {
    private struct Cache {
        var parts: [[UInt8]: Int64] = [:]
        var nodes: [Node: Int64] = [:]
        /// Per session, the last headers stored whole: the base the next request's are told against.
        var headerBases: [String: (part: Int64, headers: [HeaderField])] = [:]
        var generation: String?
        mutating func clear() { parts.removeAll(); nodes.removeAll(); headerBases.removeAll() }
    }

    private struct Node: Hashable {
        let parent: Int64
        let part: Int64
    }

    private let cache = Mutex(Cache())
    static let cacheLimit = 200_000
    /// Sessions whose header base is remembered: one per session would grow without end in a process
    /// that watches thousands. A session whose base was forgotten stores its next headers whole.
    static let headerBaseLimit = 1024

    var rememberedHeaderBases: Int { cache.withLock { $0.headerBases.count } }

    /// Forgets cached ids if `rm` or `prune` (in any process) deleted rows since the last batch.
    func validate(_ db: Database) throws {
        let generation = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'generation'")
        cache.withLock { cache in
            if cache.generation != generation || cache.parts.count + cache.nodes.count > Self.cacheLimit {
                cache.clear()
                cache.generation = generation
            }
        }
    }

    func id(of piece: RequestBodySplit.Piece, _ db: Database) throws -> Int64 {
        if let id = cache.withLock({ $0.parts[piece.hash] }) { return id }
        let id: Int64
        if let existing = try Int64.fetchOne(try db.cachedStatement(sql: "SELECT id FROM part WHERE hash = ?"), arguments: [Data(piece.hash)]) {
            id = existing
        } else {
            let stored = RecordCoding.storable(Data(piece.bytes))
            try db.cachedStatement(sql: "INSERT INTO part(hash, kind, size, bytes, deflated) VALUES (?, ?, ?, ?, ?)")
                .execute(arguments: [Data(piece.hash), piece.kind, piece.bytes.count, stored.bytes, stored.deflated])
            id = db.lastInsertedRowID
        }
        cache.withLock { $0.parts[piece.hash] = id }
        return id
    }

    /// The chain node for `parts` in order; equal prefixes share nodes.
    func chain(_ parts: [Int64], _ db: Database) throws -> Int64 {
        var parent: Int64 = 0
        for part in parts {
            let key = Node(parent: parent, part: part)
            if let id = cache.withLock({ $0.nodes[key] }) {
                parent = id
                continue
            }
            if let existing = try Int64.fetchOne(try db.cachedStatement(sql: "SELECT id FROM chain WHERE parent = ? AND part = ?"), arguments: [parent, part]) {
                parent = existing
            } else {
                try db.cachedStatement(sql: "INSERT INTO chain(parent, part) VALUES (?, ?)").execute(arguments: [parent, part])
                parent = db.lastInsertedRowID
            }
            let id = parent
            cache.withLock { $0.nodes[key] = id }
        }
        return parent
    }

    /// A request's headers as stored: a part, and the values that differ from it by position. Against
    /// the session's last base when the names are the same and only a few values changed (a growing
    /// Content-Length, a retry count, a turn id); else stored whole, as the session's new base.
    func headers(_ headers: [HeaderField], session: String, _ db: Database) throws -> (part: Int64, changes: [HeaderChange]) {
        if let base = cache.withLock({ $0.headerBases[session] }), base.headers.count == headers.count,
           zip(base.headers, headers).allSatisfy({ $0.name == $1.name }) {
            let changes = zip(base.headers, headers).enumerated().compactMap { index, pair in
                pair.0.value == pair.1.value ? nil : HeaderChange(index: index, value: pair.1.value)
            }
            if changes.count <= Self.headerChangeLimit { return (base.part, changes) }
        }
        let part = try id(of: RequestBodySplit.Piece(kind: "headers", bytes: RecordCoding.json(headers).utf8), db)
        cache.withLock { cache in
            if cache.headerBases.count >= Self.headerBaseLimit, cache.headerBases[session] == nil { cache.headerBases.removeAll() }
            cache.headerBases[session] = (part, headers)
        }
        return (part, [])
    }

    static let headerChangeLimit = 6

    /// `part_text(bytes, deflated)` in SQL: a part's bytes as sent, for searching inside them.
    static let textFunction = DatabaseFunction("part_text", argumentCount: 2, pure: true) { values -> Data? in
        guard let stored = Data.fromDatabaseValue(values[0]) else { return nil }
        return try RecordCoding.received(stored, deflated: Bool.fromDatabaseValue(values[1]) ?? false)
    }

    /// The part ids along a chain, root first.
    static func walk(_ tail: Int64, _ db: Database) throws -> [Int64] {
        let rows = try Row.fetchAll(db, sql: """
            WITH RECURSIVE path(id, parent, part, depth) AS (
                SELECT id, parent, part, 0 FROM chain WHERE id = ?
                UNION ALL
                SELECT chain.id, chain.parent, chain.part, path.depth + 1 FROM chain JOIN path ON chain.id = path.parent
            )
            SELECT part FROM path ORDER BY depth DESC
            """, arguments: [tail])
        return rows.map { $0[0] }
    }

    static func bytes(of ids: [Int64], _ db: Database) throws -> [Int64: [UInt8]] {
        var result: [Int64: [UInt8]] = [:]
        for batch in stride(from: 0, to: ids.count, by: 500).map({ Array(ids[$0..<min($0 + 500, ids.count)]) }) {
            let marks = batch.map { _ in "?" }.joined(separator: ",")
            for row in try Row.fetchAll(db, sql: "SELECT id, bytes, deflated FROM part WHERE id IN (\(marks))", arguments: StatementArguments(batch)) {
                result[row[0]] = Array(try RecordCoding.received(row[1], deflated: row[2]))
            }
        }
        return result
    }
}
