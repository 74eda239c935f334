import Crypto
import Foundation
import Proxy

/// What a piece of prompt is, for attributing context.
public enum ContextKind: String, Sendable, Codable, CaseIterable {
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

/// One piece of a request's prompt in the order the provider caches it (tools, system, messages), with
/// a fingerprint that ignores `cache_control` marks (they move from turn to turn without changing content).
public struct PromptPiece: Sendable, Equatable {
    /// Where it is, for people: `system block 2`, `tool Bash`, `message 4 (user) block 1 (tool_result Read)`.
    public let label: String
    public let kind: ContextKind
    /// The tool a schema, call or result belongs to.
    public let tool: String?
    /// Which message it belongs to (nil for tools and system).
    public let message: Int?
    public let fingerprint: String
    /// Size of its text or JSON, the basis for estimating its tokens.
    public let weight: Int
    /// Carries a cache breakpoint (`cache_control`), and its TTL when one is set.
    public let breakpoint: Bool
    public let ttl: String?
}

public enum PromptPieces {
    /// The pieces of a parsed Anthropic, Chat Completions or Responses request body.
    public static func of(_ request: JSONObject) -> [PromptPiece] {
        var pieces: [PromptPiece] = []
        for (index, tool) in (request.array("tools") ?? []).enumerated() {
            let object = tool as? JSONObject ?? [:]
            let name = object.string("name") ?? object.object("function")?.string("name") ?? object.string("type") ?? "#\(index + 1)"
            pieces.append(piece("tool \(name)", .toolSchema, tool: name, message: nil, tool))
        }
        if let system = request["system"] ?? request["instructions"] {
            if let text = system as? String {
                pieces.append(piece("system prompt", .system, tool: nil, message: nil, text))
            } else {
                for (index, block) in (system as? [Any] ?? []).enumerated() {
                    pieces.append(piece("system block \(index + 1)", .system, tool: nil, message: nil, block))
                }
            }
        }
        let messages = (request["messages"] as? [Any]) ?? (request["input"] as? [Any]) ?? []
        if let text = request["input"] as? String {
            pieces.append(piece("message 1 (user)", .userText, tool: nil, message: 0, text))
        }
        var toolNames: [String: String] = [:]
        for (index, item) in messages.enumerated() {
            guard let message = item as? JSONObject else { continue }
            let role = message.string("role") ?? message.string("type") ?? "?"
            let where_ = "message \(index + 1) (\(role))"
            switch message.string("type") {
            case "function_call":
                let name = message.string("name") ?? "?"
                if let id = message.string("call_id") { toolNames[id] = name }
                pieces.append(piece("\(where_) call \(name)", .toolUse, tool: name, message: index, message))
                continue
            case "function_call_output":
                let name = message.string("call_id").flatMap { toolNames[$0] } ?? "?"
                pieces.append(piece("\(where_) result of \(name)", .toolResult, tool: name, message: index, message))
                continue
            case "reasoning":
                pieces.append(piece("\(where_) reasoning", .thinking, tool: nil, message: index, message))
                continue
            default:
                break
            }
            if role == "system" || role == "developer" {
                pieces.append(piece(where_, .system, tool: nil, message: index, message["content"] ?? ""))
                continue
            }
            if role == "tool" {
                let name = message.string("tool_call_id").flatMap { toolNames[$0] } ?? "?"
                pieces.append(piece("\(where_) result of \(name)", .toolResult, tool: name, message: index, message["content"] ?? ""))
                continue
            }
            let textKind: ContextKind = role == "assistant" ? .assistantText : .userText
            if let text = message["content"] as? String {
                pieces.append(piece(where_, textKind, tool: nil, message: index, text))
            } else {
                for (blockIndex, item) in (message.array("content") ?? []).enumerated() {
                    let block = item as? JSONObject ?? [:]
                    let type = block.string("type") ?? "block"
                    let label = "\(where_) block \(blockIndex + 1)"
                    switch type {
                    case "text", "input_text", "output_text":
                        pieces.append(piece(label, textKind, tool: nil, message: index, block))
                    case "thinking", "redacted_thinking":
                        pieces.append(piece("\(label) (thinking)", .thinking, tool: nil, message: index, block))
                    case "tool_use", "server_tool_use":
                        let name = block.string("name") ?? "?"
                        if let id = block.string("id") { toolNames[id] = name }
                        pieces.append(piece("\(label) (tool_use \(name))", .toolUse, tool: name, message: index, block))
                    case "tool_result":
                        let name = block.string("tool_use_id").flatMap { toolNames[$0] } ?? "?"
                        pieces.append(piece("\(label) (tool_result \(name))", .toolResult, tool: name, message: index, block))
                    case "image", "input_image", "document":
                        pieces.append(piece("\(label) (\(type))", .image, tool: nil, message: index, block))
                    default:
                        pieces.append(piece("\(label) (\(type))", .other, tool: nil, message: index, block))
                    }
                }
            }
            for call in message.array("tool_calls") ?? [] {
                let object = call as? JSONObject ?? [:]
                let name = object.object("function")?.string("name") ?? "?"
                if let id = object.string("id") { toolNames[id] = name }
                pieces.append(piece("\(where_) call \(name)", .toolUse, tool: name, message: index, call))
            }
        }
        return pieces
    }

    static func piece(_ label: String, _ kind: ContextKind, tool: String?, message: Int?, _ value: Any) -> PromptPiece {
        let stripped = withoutCacheControl(value)
        let text = (stripped as? String) ?? JSON.text(stripped) ?? ""
        let cache = (value as? JSONObject)?.object("cache_control")
        let weight: Int
        if let string = value as? String {
            weight = string.utf8.count
        } else if let object = value as? JSONObject, let inner = object.string("text") ?? object.string("thinking") {
            weight = inner.utf8.count
        } else {
            weight = text.utf8.count
        }
        return PromptPiece(label: label, kind: kind, tool: tool, message: message,
                           fingerprint: Hex.string(SHA256.hash(data: Data(text.utf8)).prefix(12)), weight: weight,
                           breakpoint: cache != nil, ttl: cache?.string("ttl"))
    }

    /// The value with every `cache_control` key removed, at any depth.
    static func withoutCacheControl(_ value: Any) -> Any {
        if var object = value as? JSONObject {
            object.removeValue(forKey: "cache_control")
            return object.mapValues(withoutCacheControl)
        }
        if let array = value as? [Any] { return array.map(withoutCacheControl) }
        return value
    }
}
