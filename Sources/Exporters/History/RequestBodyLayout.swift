import Foundation
import Proxy

/// The stored recipe for a request body: which parts, and where they go. Saved as JSON on the exchange.
struct RequestBodyLayout: Codable, Equatable {
    /// The whole body as one part (not a JSON object).
    var raw: Int64?
    var skeleton: Int64?
    var slots: [Slot] = []

    struct Slot: Codable, Equatable {
        var at: Int
        var key: String
        /// A member kept whole.
        var part: Int64?
        /// Array elements, listed.
        var items: [Int64]?
        /// Array elements, as the tail of a chain, with their count.
        var chain: Int64?
        var count: Int?
        var separators: RequestBodySplit.Separators?
    }

    /// Rebuilds the body, given the bytes of every part and the part ids along each chain.
    func assemble(parts: [Int64: [UInt8]], chains: [Int64: [Int64]]) throws -> [UInt8] {
        if let raw { return try bytes(raw, parts) }
        guard let skeleton else { throw LayoutError.missingPart(0) }
        let skeletonBytes = try bytes(skeleton, parts)
        var out: [UInt8] = []
        var cursor = 0
        for slot in slots {
            out.append(contentsOf: skeletonBytes[cursor..<slot.at])
            cursor = slot.at
            if let part = slot.part {
                out.append(contentsOf: try bytes(part, parts))
                continue
            }
            let elements: [Int64]
            if let items = slot.items {
                elements = items
            } else if let chain = slot.chain {
                guard let path = chains[chain] else { throw LayoutError.missingChain(chain) }
                elements = path
            } else {
                elements = []
            }
            let separators = slot.separators ?? .compact
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                out.append(contentsOf: separators.separator(index, count: elements.count).utf8)
                out.append(contentsOf: try bytes(element, parts))
            }
            out.append(contentsOf: separators.separator(elements.count, count: elements.count).utf8)
            out.append(UInt8(ascii: "]"))
        }
        out.append(contentsOf: skeletonBytes[cursor...])
        return out
    }

    /// Every part id it names directly (chains are walked separately).
    var partIDs: [Int64] {
        ([raw, skeleton].compactMap { $0 }) + slots.flatMap { ($0.items ?? []) + [$0.part].compactMap { $0 } }
    }

    var chainIDs: [Int64] { slots.compactMap(\.chain) }

    /// The layout as its `Codable` conformance writes it, without `JSONEncoder` (one per stored exchange).
    var json: String {
        var w = JSONWriter()
        w.beginObject()
        w.field("raw", raw.map(Int.init))
        w.field("skeleton", skeleton.map(Int.init))
        w.key("slots")
        w.beginArray()
        for slot in slots {
            w.beginObject()
            w.field("at", slot.at)
            w.field("key", slot.key)
            w.field("part", slot.part.map(Int.init))
            if let items = slot.items {
                w.key("items")
                w.beginArray()
                for item in items { w.int(Int(item)) }
                w.endArray()
            }
            w.field("chain", slot.chain.map(Int.init))
            w.field("count", slot.count)
            if let separators = slot.separators {
                w.key("separators")
                w.beginObject()
                if let all = separators.all { w.field("all", all) }
                w.endObject()
            }
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.text
    }

    private func bytes(_ id: Int64, _ parts: [Int64: [UInt8]]) throws -> [UInt8] {
        guard let bytes = parts[id] else { throw LayoutError.missingPart(id) }
        return bytes
    }
}

enum LayoutError: Error, CustomStringConvertible {
    case missingPart(Int64)
    case missingChain(Int64)
    case headerOutOfRange(Int)

    var description: String {
        switch self {
        case .missingPart(let id): return "request body part \(id) is missing from the history"
        case .missingChain(let id): return "conversation chain \(id) is missing from the history"
        case .headerOutOfRange(let index): return "a stored header change names header \(index), which its base does not have"
        }
    }
}
