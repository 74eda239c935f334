import Foundation

/// Where ccglass keeps its data: `--data-dir`, else `$CCGLASS_HOME`, else `~/.ccglass`.
enum Home {
    static func directory(override: String?) -> URL {
        if let override, !override.isEmpty { return URL(fileURLWithPath: override) }
        if let env = ProcessInfo.processInfo.environment["CCGLASS_HOME"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".ccglass")
    }
}
