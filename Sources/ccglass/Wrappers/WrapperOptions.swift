import ArgumentParser
import Exporters
import Foundation

/// ccglass's own options for a wrapped agent. They go before the agent's arguments
/// (`ccglass claude --quiet -p "hi"`); everything from the first argument ccglass does not know
/// (or after `--`) reaches the agent untouched.
struct WrapperOptions {
    var port = 8123
    var upstream: String?
    var dataDir: String?
    var quiet = false
    var noMCP = false
    var noSettingsOverride = false
    var noDaemon = false
    /// `--budget-*` flags, over config.json's.
    var budgets = Budgets()
    var agentArguments: [String] = []

    static let help = """
        ccglass options (before the agent's own arguments):
          --port N                 daemon port to look for (default 8123)
          --upstream URL           where the traffic goes (default: detected from the environment and Claude Code settings)
          --data-dir DIR           history location (default $CCGLASS_HOME or ~/.ccglass)
          --quiet                  no start line, no summary
          --no-mcp                 do not register the ccglass MCP server with the agent (Claude Code, Codex, Gemini)
          --no-settings-override   do not pass --settings to Claude Code
          --no-daemon              always run a private listener, even when `ccglass serve` is up
          --budget-daily USD       warn when today's spending passes USD (also --budget-weekly, --budget-session;
                                   default: "budgets" in <data dir>/config.json). Never blocks a request.
          --                       end of ccglass options
        """

    static func parse(_ arguments: [String]) throws -> WrapperOptions {
        var options = WrapperOptions()
        var index = 0
        func value(_ flag: String) throws -> String {
            index += 1
            guard index < arguments.count else { throw ValidationError("\(flag) needs a value") }
            return arguments[index]
        }
        parsing: while index < arguments.count {
            switch arguments[index] {
            case "--port":
                guard let port = Int(try value("--port")) else { throw ValidationError("--port needs a number") }
                options.port = port
            case "--upstream": options.upstream = try value("--upstream")
            case "--data-dir": options.dataDir = try value("--data-dir")
            case "--quiet": options.quiet = true
            case "--no-mcp": options.noMCP = true
            case "--no-settings-override": options.noSettingsOverride = true
            case "--no-daemon": options.noDaemon = true
            case "--budget-daily", "--budget-weekly", "--budget-session":
                let flag = arguments[index]
                guard let usd = Double(try value(flag)), usd > 0, usd.isFinite else { throw ValidationError("\(flag) needs a positive number of US dollars") }
                options.budgets[BudgetState.Period(rawValue: String(flag.dropFirst("--budget-".count)))!] = usd
            case "--":
                index += 1
                break parsing
            default:
                break parsing
            }
            index += 1
        }
        options.agentArguments = Array(arguments[index...])
        return options
    }
}
