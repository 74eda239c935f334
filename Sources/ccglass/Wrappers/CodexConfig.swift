import Foundation

/// Where Codex would send its traffic, and how to point it at ccglass instead. Codex (0.147.0) reads
/// no base-URL variable: its built-in `openai` provider takes `openai_base_url` and, signed in with
/// ChatGPT, `chatgpt_base_url`; a custom `model_provider` has its own `[model_providers.X] base_url`.
/// Each comes from `-c key=value` (TOML) or `$CODEX_HOME/config.toml`, `-c` winning.
struct CodexConfig: Equatable {
    /// `openai_base_url`, or the chosen custom provider's `base_url`.
    var baseURL: URL?
    /// Where it came from, for the start line.
    var source: String?
    /// The custom provider whose `base_url` it is; nil for the built-in one.
    var customProvider: String?

    /// Reads `arguments` (Codex's own) and the config file under `codexHome`.
    init(arguments: [String], codexHome: URL) {
        let file = codexHome.appendingPathComponent("config.toml")
        var values = (try? String(contentsOf: file, encoding: .utf8)).map(Self.keys(toml:)) ?? [:]
        var sources = values.mapValues { _ in file.path }
        for (key, value) in Self.overrides(arguments) {
            values[key] = value
            sources[key] = "-c \(key)"
        }
        if let name = values["model_provider"], name != "openai", let url = values["model_providers.\(name).base_url"].flatMap(UpstreamDetection.url) {
            baseURL = url
            customProvider = name
            source = sources["model_providers.\(name).base_url"]
        } else if let url = values["openai_base_url"].flatMap(UpstreamDetection.url) {
            baseURL = url
            source = sources["openai_base_url"]
        }
    }

    static func codexHome(environment: [String: String]) -> URL {
        environment["CODEX_HOME"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: environment["HOME"] ?? NSHomeDirectory()).appendingPathComponent(".codex")
    }

    /// Codex keeps a ChatGPT sign-in in `auth.json` as `tokens` (an API key login has none).
    static func signedInWithChatGPT(codexHome: URL) -> Bool {
        guard let data = try? Data(contentsOf: codexHome.appendingPathComponent("auth.json")),
              let auth = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return false }
        return auth["tokens"] is [String: Any]
    }

    /// `-c`/`--config key=value` pairs, values as TOML strings unquoted.
    static func overrides(_ arguments: [String]) -> [(String, String)] {
        var pairs: [(String, String)] = []
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            var spec: String?
            if argument == "-c" || argument == "--config", index + 1 < arguments.endIndex {
                spec = arguments[index + 1]
                index += 1
            } else if argument.hasPrefix("--config=") {
                spec = String(argument.dropFirst("--config=".count))
            }
            if let spec, let eq = spec.firstIndex(of: "=") {
                pairs.append((spec[..<eq].trimmingCharacters(in: .whitespaces), unquoted(spec[spec.index(after: eq)...])))
            }
            index += 1
        }
        return pairs
    }

    /// The string-valued keys of a TOML file, dotted by their table (`model_providers.x.base_url`).
    /// Enough TOML for the keys above: tables, `key = "value"` lines, comments.
    static func keys(toml: String) -> [String: String] {
        var table = ""
        var keys: [String: String] = [:]
        for raw in toml.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") {
                table = line.trimmingCharacters(in: CharacterSet(charactersIn: "[] ")).replacingOccurrences(of: "\"", with: "")
                continue
            }
            guard !line.hasPrefix("#"), let eq = line.firstIndex(of: "=") else { continue }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "\"", with: "")
            var value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            guard value.hasPrefix("\"") || value.hasPrefix("'") else { continue }
            if let end = value.dropFirst().firstIndex(of: value.first!) { value = String(value[...end]) }
            keys[table.isEmpty ? key : "\(table).\(key)"] = unquoted(Substring(value))
        }
        return keys
    }

    private static func unquoted(_ value: Substring) -> String {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard trimmed.count >= 2, let first = trimmed.first, first == "\"" || first == "'", trimmed.last == first else { return trimmed }
        return String(trimmed.dropFirst().dropLast())
    }

    /// A TOML basic string, for a `-c key=value` argument.
    static func tomlString(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
