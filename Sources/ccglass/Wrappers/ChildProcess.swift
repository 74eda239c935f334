import Foundation
import Subprocess
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// The wrapped agent: same terminal (stdin, stdout, stderr inherited, so an interactive Claude Code
/// works), its exit status returned. Signals sent to ccglass reach it; a Ctrl-C typed at the terminal
/// already reaches it directly, so that one is not sent twice.
enum ChildProcess {
    /// Runs `executable` and returns the exit code the wrapper should exit with (128 + signal when killed).
    static func run(executable: String, arguments: [String], environment: [String: String]) async throws -> Int32 {
        SignalForwarding.install()
        defer { SignalForwarding.childPID = 0 }
        var updates: [Environment.Key: String?] = [:]
        for (name, value) in environment { updates[Environment.Key(rawValue: name)!] = value }
        let result = try await Subprocess.run(
            .path(FilePath(executable)), arguments: Arguments(arguments), environment: .inherit.updating(updates),
            input: .currentStandardInput, output: .currentStandardOutput, error: .currentStandardError
        ) { execution in
            SignalForwarding.childPID = execution.processIdentifier.value
        }
        switch result.terminationStatus {
        case .exited(let code): return code
        case .signaled(let signal): return 128 + signal
        }
    }

    /// The executable `name` resolves to on PATH (or the path itself when it has a slash).
    static func locate(_ name: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        for directory in (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// Relays SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to ccglass on to the child. A SIGINT or SIGQUIT from the
/// terminal (`si_code == SI_KERNEL`) went to the whole foreground process group, the child included.
enum SignalForwarding {
    nonisolated(unsafe) static var childPID: pid_t = 0
    nonisolated(unsafe) private static var installed = false

    static func install() {
        guard !installed else { return }
        installed = true
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] {
            var action = sigaction()
            action.__sigaction_handler.sa_sigaction = { signal, info, _ in
                let pid = SignalForwarding.childPID
                guard pid > 0 else { return }
                let fromTerminal = info.map { $0.pointee.si_code == 0x80 } ?? false
                if fromTerminal && (signal == SIGINT || signal == SIGQUIT) { return }
                kill(pid, signal)
            }
            action.sa_flags = SA_SIGINFO | SA_RESTART
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, nil)
        }
    }
}
