import Crypto
import Foundation
import Proxy

/// A request body cut into content-addressable pieces, and the recipe to glue them back byte for byte.
///
/// The big members of an LLM request, as its wire format names them (`WireFormat.bodyMembers`), are cut
/// out: the system prompt (each block), the tools (the whole array), the conversation (each message,
/// chained so a resent conversation shares its prefix). What is left (model, max_tokens, metadata, …)
/// is the skeleton, itself a piece.
struct RequestBodySplit {
    struct Piece {
        let kind: String
        let bytes: [UInt8]
        let hash: [UInt8]

        init(kind: String, bytes: some Collection<UInt8>) {
            self.kind = kind
            self.bytes = Array(bytes)
            self.hash = Array(SHA256.hash(data: self.bytes))
        }
    }

    enum Shape {
        /// One piece fills the member (a string, or an array kept whole).
        case whole(Piece)
        /// An array whose elements are pieces; `chained` arrays share prefixes across exchanges.
        case array(elements: [Piece], separators: Separators, chained: Bool)
    }

    struct Slot {
        /// Offset in the skeleton where the member's value goes back.
        let at: Int
        let key: String
        let shape: Shape
    }

    /// What sits between array elements, so arrays rebuild exactly (`[`, `,`, `]` plus any whitespace).
    struct Separators: Codable, Equatable {
        /// Compact JSON: nothing after `[`, `,` between, nothing before `]`.
        static let compact = Separators(all: nil)
        /// Every separator, `count + 1` of them, when not compact.
        let all: [String]?

        func separator(_ index: Int, count: Int) -> String {
            if let all { return all[index] }
            return index == 0 || index == count ? "" : ","
        }
    }

    /// The whole body as one piece, when it is not a JSON object.
    let raw: Piece?
    let skeleton: Piece?
    let slots: [Slot]

    init(body: [UInt8], members cut: [String: BodyMember]) {
        guard let members = JSONSlicer.members(of: body) else {
            raw = Piece(kind: "raw", bytes: body)
            skeleton = nil
            slots = []
            return
        }
        var skeletonBytes: [UInt8] = []
        skeletonBytes.reserveCapacity(1024)
        var slots: [Slot] = []
        var cursor = 0
        for member in members {
            guard let rule = cut[member.key] else { continue }
            skeletonBytes.append(contentsOf: body[cursor..<member.value.lowerBound])
            cursor = member.value.upperBound
            let at = skeletonBytes.count
            if rule.elements, body[member.value.lowerBound] == UInt8(ascii: "["),
               let elements = JSONSlicer.elements(of: body, in: member.value) {
                slots.append(Slot(at: at, key: member.key, shape: .array(
                    elements: elements.map { Piece(kind: rule.kind, bytes: body[$0]) },
                    separators: Self.separators(body, array: member.value, elements: elements),
                    chained: rule.chained)))
            } else {
                slots.append(Slot(at: at, key: member.key, shape: .whole(Piece(kind: rule.kind, bytes: body[member.value]))))
            }
        }
        skeletonBytes.append(contentsOf: body[cursor...])
        self.raw = nil
        self.skeleton = Piece(kind: "skeleton", bytes: skeletonBytes)
        self.slots = slots
    }

    private static func separators(_ body: [UInt8], array: Range<Int>, elements: [Range<Int>]) -> Separators {
        var all: [String] = []
        var previousEnd = array.lowerBound + 1
        for element in elements {
            all.append(String(decoding: body[previousEnd..<element.lowerBound], as: UTF8.self))
            previousEnd = element.upperBound
        }
        all.append(String(decoding: body[previousEnd..<(array.upperBound - 1)], as: UTF8.self))
        let compact = all.enumerated().allSatisfy { index, sep in
            sep == (index == 0 || index == elements.count ? "" : ",")
        }
        return compact ? .compact : Separators(all: all)
    }
}
