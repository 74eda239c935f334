import ArgumentParser

@main
struct CCGlass: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ccglass",
        abstract: "See what your coding agent sends, what it costs, and why the cache missed.",
        version: "0.1.0",
        subcommands: [Serve.self, UsageCommand.self, RequestsCommand.self, ExportCommand.self, RemoveCommand.self, PruneCommand.self])
}
