import Proxy

/// One request header whose value differs from the stored headers it is told against.
struct HeaderChange: Codable, Equatable {
    var index: Int
    var value: String

    /// `base` with `changes` applied.
    static func apply(_ changes: [HeaderChange], to base: [HeaderField]) throws -> [HeaderField] {
        var headers = base
        for change in changes {
            guard headers.indices.contains(change.index) else { throw LayoutError.headerOutOfRange(change.index) }
            headers[change.index].value = change.value
        }
        return headers
    }
}

extension HeaderChange {
    /// As stored: `[{"index":…,"value":…}]`, written without `JSONEncoder` (one per stored exchange).
    static func json(_ changes: [HeaderChange]) -> String {
        var w = JSONWriter()
        w.beginArray()
        for change in changes {
            w.beginObject()
            w.field("index", change.index)
            w.field("value", change.value)
            w.endObject()
        }
        w.endArray()
        return w.text
    }
}
