/// What a piece of prompt is, for attributing context.
package enum ContextKind: String, Sendable, Codable, CaseIterable {
    case system
    case toolSchema = "tool_schema"
    case userText = "user_text"
    case assistantText = "assistant_text"
    case thinking
    case toolUse = "tool_use"
    case toolResult = "tool_result"
    case image
    case other
}

/// One piece of a prompt, in the order the provider caches it. Two pieces are the same content when
/// their JSON is equal (cache marks are left out of it: they move from turn to turn).
package struct PromptPiece: Sendable, Equatable {
    /// Where it is, for people: `system block 2`, `tool Bash`, `message 4 (user) block 1 (tool_result Read)`.
    package let label: String
    package let kind: ContextKind
    /// The tool a schema, call or result belongs to.
    package let tool: String?
    /// Which message it belongs to (nil for tools and system).
    package let message: Int?
    /// The piece as JSON, cache marks left out.
    package let json: String
    /// Size of its text or JSON, the basis for estimating its tokens.
    package let weight: Int
    /// Carries a cache breakpoint, and its TTL when one is set.
    package let breakpoint: Bool
    package let ttl: String?
}

extension Prompt {
    /// The pieces in cache order: tools, then system, then the messages block by block. Anthropic
    /// documents this order ("tools, system, messages"); OpenAI and Gemini cache whole prefixes of the
    /// same content, so one order serves every format.
    package var pieces: [PromptPiece] {
        var pieces: [PromptPiece] = []
        for tool in tools {
            pieces.append(.init("tool \(tool.name)", .toolSchema, tool: tool.name, message: nil, json: tool.json,
                                weight: tool.json.utf8.count, cache: tool.cache))
        }
        for (index, block) in system.enumerated() {
            pieces.append(.init("system block \(index + 1)", .system, tool: nil,
                                message: nil, json: block.json, weight: block.weight, cache: block.cache))
        }
        var toolNames: [String: String] = [:]
        for (index, message) in messages.enumerated() {
            let place = "message \(index + 1) (\(message.role.rawValue))"
            for (blockIndex, block) in message.blocks.enumerated() {
                var label = message.blocks.count == 1 ? place : "\(place) block \(blockIndex + 1)"
                var tool: String?
                let kind: ContextKind
                switch block.kind {
                case .text:
                    kind = message.role == .assistant ? .assistantText : message.role == .system || message.role == .developer ? .system : .userText
                case .thinking:
                    kind = .thinking
                    label += " (thinking)"
                case .toolUse:
                    kind = .toolUse
                    let name = block.toolName ?? "?"
                    if let id = block.toolID { toolNames[id] = name }
                    tool = name
                    label += " (tool_use \(name))"
                case .toolResult:
                    kind = .toolResult
                    let name = block.toolID.flatMap { toolNames[$0] } ?? "?"
                    tool = name
                    label += " (tool_result \(name))"
                case .image:
                    kind = .image
                    label += " (\(block.type))"
                case .other:
                    kind = .other
                    label += " (\(block.type))"
                }
                pieces.append(.init(label, kind, tool: tool, message: index, json: block.json, weight: block.weight, cache: block.cache))
            }
        }
        return pieces
    }
}

extension PromptBlock {
    /// Its size for apportioning tokens: the words for text and thinking, the JSON for the rest.
    var weight: Int {
        switch kind {
        case .text, .thinking: text.utf8.count
        default: json.utf8.count
        }
    }
}

extension PromptPiece {
    init(_ label: String, _ kind: ContextKind, tool: String?, message: Int?, json: String, weight: Int, cache: CacheBreakpoint?) {
        self.init(label: label, kind: kind, tool: tool, message: message, json: json, weight: weight,
                  breakpoint: cache != nil, ttl: cache?.ttl)
    }
}
