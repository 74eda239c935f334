import Foundation

/// Where Claude Code would have sent its traffic, so ccglass forwards there instead of assuming
/// api.anthropic.com: the `env` blocks of its settings files win over the process environment, as in
/// Claude Code itself (managed > local > project > user).
struct UpstreamDetection {
    var environment: [String: String] = ProcessInfo.processInfo.environment
    var workingDirectory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)

    struct Found: Equatable {
        let url: URL
        /// Where it came from, for the start line (`~/.claude/settings.json`, `ANTHROPIC_BASE_URL`).
        let source: String
    }

    /// Settings files, highest precedence first.
    var settingsFiles: [URL] {
        let config = environment["CLAUDE_CONFIG_DIR"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: environment["HOME"] ?? NSHomeDirectory()).appendingPathComponent(".claude")
        return [
            URL(fileURLWithPath: "/etc/claude-code/managed-settings.json"),
            workingDirectory.appendingPathComponent(".claude/settings.local.json"),
            workingDirectory.appendingPathComponent(".claude/settings.json"),
            config.appendingPathComponent("settings.json"),
        ]
    }

    /// The base URL for `variable` (e.g. `ANTHROPIC_BASE_URL`) Claude Code would use, if any is set.
    func find(_ variable: String) -> Found? {
        for file in settingsFiles {
            guard let data = try? Data(contentsOf: file),
                  let settings = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let env = settings["env"] as? [String: Any],
                  let value = env[variable] as? String, let url = Self.url(value) else { continue }
            return Found(url: url, source: file.path)
        }
        if let value = environment[variable], let url = Self.url(value) {
            return Found(url: url, source: "$\(variable)")
        }
        return nil
    }

    static func url(_ text: String) -> URL? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let url = URL(string: trimmed), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else { return nil }
        return url
    }
}
