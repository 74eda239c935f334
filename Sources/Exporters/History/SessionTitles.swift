import Foundation
import Synchronization

/// Claude Code's own names for its sessions, read from its transcripts
/// (`<config>/projects/<project>/<session-id>.jsonl`): a title the user set (`custom-title`) wins over
/// the summary Claude Code wrote (`summary`). What it read is remembered for `freshFor`, so a live
/// dashboard asking again every second does not read the transcripts again every second.
package final class SessionTitles: Sendable {
    package let projects: URL
    package static let freshFor = Duration.seconds(30)
    private let known = Mutex<[String: (title: String?, readAt: ContinuousClock.Instant)]>([:])

    /// `$CLAUDE_CONFIG_DIR/projects`, else `~/.claude/projects`.
    package init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let config = environment["CLAUDE_CONFIG_DIR"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".claude")
        projects = config.appendingPathComponent("projects")
    }

    package init(projects: URL) {
        self.projects = projects
    }

    /// The title Claude Code gave `session`, if its transcript is here and names one.
    package func title(session: String) -> String? {
        let now = ContinuousClock.now
        if let entry = known.withLock({ $0[session] }), now - entry.readAt < Self.freshFor { return entry.title }
        let title = read(session: session)
        known.withLock {
            if $0.count > 10_000 { $0.removeAll() }
            $0[session] = (title, now)
        }
        return title
    }

    private func read(session: String) -> String? {
        guard !session.contains("/"), !session.contains(":"),
              let folders = try? FileManager.default.contentsOfDirectory(at: projects, includingPropertiesForKeys: nil)
        else { return nil }
        for folder in folders {
            let transcript = folder.appendingPathComponent(session + ".jsonl")
            guard let data = try? Data(contentsOf: transcript) else { continue }
            return Self.title(inTranscript: data)
        }
        return nil
    }

    static func title(inTranscript data: Data) -> String? {
        var custom: String?
        var summary: String?
        for line in data.split(separator: UInt8(ascii: "\n")) {
            // Cheap filter before parsing: most lines are messages.
            guard line.count < 64 * 1024, line.range(of: Data("title".utf8)) != nil || line.range(of: Data("\"summary\"".utf8)) != nil,
                  let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any] else { continue }
            switch object["type"] as? String {
            case "custom-title": custom = (object["customTitle"] as? String) ?? (object["title"] as? String) ?? custom
            case "summary": summary = (object["summary"] as? String) ?? summary
            default: if let title = object["title"] as? String, (object["type"] as? String)?.contains("title") == true { summary = title }
            }
        }
        return custom ?? summary
    }
}

extension HistoryStore {
    /// `sessions(limit:)`, with titles Claude Code has given them since they were first stored.
    package func sessions(limit: Int = 20, titles: SessionTitles) throws -> [SessionRow] {
        var rows = try sessions(limit: limit)
        for index in rows.indices where rows[index].titleSource != "claude-code" {
            if let title = titles.title(session: rows[index].key) {
                try setTitle(session: rows[index].key, title: title, source: "claude-code")
                rows[index].title = title
                rows[index].titleSource = "claude-code"
            }
        }
        return rows
    }
}
