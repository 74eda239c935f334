import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

@main
struct CCGlass: AsyncParsableCommand {
    static func main() async {
        // Run Swift concurrency on NIO's event loop threads: a chunk moves from the upstream socket to
        // the client's without hopping between thread pools. Blocking work (SQLite, files, reports) must
        // therefore stay off these threads: the history writer awaits GRDB's own queues, the dashboard's
        // reads run on OffLoopExecutor.reading.
        // It needs the runtime's hook exported, which a `--static-swift-stdlib` build does not do.
        if !NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor() {
            FileHandle.standardError.write(Data("ccglass: Swift concurrency is not on the event loops (static build?): each chunk forwarded crosses threads\n".utf8))
        }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }

    static let configuration = CommandConfiguration(
        commandName: "ccglass",
        abstract: "See what your coding agent sends, what it costs, and why the cache missed.",
        version: "0.1.0",
        subcommands: [Serve.self, ClaudeCommand.self, CodexCommand.self, GeminiCommand.self, DeepSeekCommand.self, KimiCommand.self, OpencodeCommand.self,
                      RunCommand.self, ProxyCommand.self, MCPCommand.self,
                      UsageCommand.self, RequestsCommand.self, CacheCommand.self, ContextCommand.self, AgentsCommand.self, LimitsCommand.self, ExportCommand.self, RemoveCommand.self, PruneCommand.self])
}
