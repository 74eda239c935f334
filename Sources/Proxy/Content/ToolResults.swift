/// Finds the tool results a request carries back to the model: what links one exchange's tool call to
/// the next exchange, and so the time the agent spent running the tool.
public enum ToolResults {
    /// Call ids answered after the model's last turn: Anthropic `tool_result` blocks, Chat Completions
    /// `tool` messages, Responses `function_call_output` items.
    public static func ids(in request: JSONObject) -> [String] {
        let items = (request["messages"] as? [Any]) ?? (request["input"] as? [Any]) ?? []
        var ids: [String] = []
        for case let item as JSONObject in items.reversed() {
            let role = item.string("role")
            if role == "assistant" { break }
            if role == "tool", let id = item.string("tool_call_id") { ids.append(id) }
            if item.string("type") == "function_call_output", let id = item.string("call_id") { ids.append(id) }
            if item.string("type") == "function_call" { break }
            for case let block as JSONObject in item.array("content") ?? [] where block.string("type") == "tool_result" {
                if let id = block.string("tool_use_id") { ids.append(id) }
            }
        }
        return ids.reversed()
    }
}
