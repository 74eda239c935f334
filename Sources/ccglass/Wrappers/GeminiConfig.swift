import Foundation
import Proxy

/// What the Gemini CLI reads that decides how ccglass points it at itself (as in gemini-cli's
/// `packages/core` and `packages/cli/src/config`):
/// - signed in with Google it talks to Code Assist at `CODE_ASSIST_ENDPOINT`;
/// - with an API key it talks to the Gemini API at `GOOGLE_GEMINI_BASE_URL`. When no auth type is
///   chosen in settings, that variable alone makes the CLI pick "gateway" auth, so ccglass sets it only
///   when an API key is in play or the user already set it.
/// - MCP servers merge shallowly across settings scopes, and the system scope's file is named by
///   `GEMINI_CLI_SYSTEM_SETTINGS_PATH`: a copy with a `ccglass` server added registers it for one run.
struct GeminiConfig {
    var environment: [String: String] = ProcessInfo.processInfo.environment
    var workingDirectory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)

    static let baseURLVariable = "GOOGLE_GEMINI_BASE_URL"
    static let systemSettingsVariable = "GEMINI_CLI_SYSTEM_SETTINGS_PATH"

    var geminiHome: URL {
        environment["GEMINI_CLI_HOME"].map { URL(fileURLWithPath: $0).appendingPathComponent(".gemini") }
            ?? URL(fileURLWithPath: environment["HOME"] ?? NSHomeDirectory()).appendingPathComponent(".gemini")
    }

    /// The system settings file the CLI would read without ccglass.
    var systemSettings: URL {
        URL(fileURLWithPath: environment[Self.systemSettingsVariable] ?? "/etc/gemini-cli/settings.json")
    }

    /// The auth type chosen in settings (`security.auth.selectedType`, or the older `selectedAuthType`),
    /// workspace over user.
    var selectedAuthType: String? {
        for file in [workingDirectory.appendingPathComponent(".gemini/settings.json"), geminiHome.appendingPathComponent("settings.json")] {
            guard let settings = Self.object(at: file) else { continue }
            if let chosen = settings.object("security")?.object("auth")?.string("selectedType") ?? settings.string("selectedAuthType") {
                return chosen
            }
        }
        return nil
    }

    /// Whether the run talks to the Gemini API, so `GOOGLE_GEMINI_BASE_URL` is ccglass's to set.
    var usesGeminiAPI: Bool {
        if environment[Self.baseURLVariable] != nil { return true }
        if let chosen = selectedAuthType { return chosen == "gemini-api-key" || chosen == "gateway" }
        return environment["GEMINI_API_KEY"].map { !$0.isEmpty } ?? false
    }

    struct UnreadableSettings: Error, CustomStringConvertible {
        let file: URL
        var description: String { "\(file.path) is not plain JSON; ccglass leaves it alone and registers no MCP server" }
    }

    /// A copy of the system settings with the ccglass MCP server added, written to `file`. A system file
    /// ccglass cannot read (comments, a typo) is not replaced: its other settings would be lost.
    func writeSystemSettings(to file: URL, server: [String: Any]) throws {
        var settings: JSONObject = [:]
        if FileManager.default.fileExists(atPath: systemSettings.path) {
            guard let existing = Self.object(at: systemSettings) else { throw UnreadableSettings(file: systemSettings) }
            settings = existing
        }
        var servers = settings.object("mcpServers") ?? [:]
        servers["ccglass"] = server
        settings["mcpServers"] = servers
        let data = try JSONSerialization.data(withJSONObject: settings, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: file, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
    }

    static func object(at file: URL) -> JSONObject? {
        (try? Data(contentsOf: file)).flatMap { JSON.object($0) }
    }
}
