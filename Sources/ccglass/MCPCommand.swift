import ArgumentParser
import Exporters
import Foundation
import HistoryMCP
import Proxy

/// `ccglass mcp`: the history as MCP tools on stdio, for the agent to query its own requests.
struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp", abstract: "Serve the request history to an agent over MCP (stdio).",
        discussion: "Register it with Claude Code for good: claude mcp add ccglass -- ccglass mcp\n`ccglass claude` registers it for its run automatically.")

    @Option(help: "Data directory (default $CCGLASS_HOME or ~/.ccglass).") var dataDir: String?

    func run() async throws {
        let home = Home.directory(override: dataDir)
        let store = try HistoryStore(url: HistoryStore.defaultURL(home: home))
        let environment = ProcessInfo.processInfo.environment
        let (prices, _) = PriceTable.load(home: home)
        let tools = HistoryTools(store: store, prices: prices, budgets: { try Budgets.load(home: home) }) {
            // The caller's session: named outright, else the newest of this wrapper run, else the newest of all
            // (an agent asking about itself has just sent the newest request).
            if let session = environment["CCGLASS_SESSION"], !session.isEmpty { return session }
            if let run = environment["CCGLASS_RUN_ID"], let session = try store.latestSessionKey(run: run) { return session }
            return try store.latestSessionKey()
        }
        try await HistoryMCPServer.run(tools: tools)
    }
}
