import NIOCore
import NIOPosix

/// Threads of ccglass's own, off the event loops that forward bytes.
///
/// Swift concurrency runs on the forwarding loops (see `CCGlass.main`), so a task that parses a large
/// request body, reads the history or builds a report would otherwise sit in the queue of the loop
/// serving a stream, and hold up every chunk behind it. Such work runs here instead, with
/// `Task(executorPreference:)` or `withTaskExecutorPreference`. Work too small to be worth waking
/// another thread (the exporters' per-exchange work) stays on the loops.
package final class OffLoopExecutor: TaskExecutor {
    /// Request bodies too large to parse on a forwarding loop.
    package static let recording = OffLoopExecutor(threads: 1)
    /// The dashboard's history reads and reports.
    package static let reading = OffLoopExecutor(threads: 2)

    private let loops: [any EventLoop]
    private let group: MultiThreadedEventLoopGroup

    private init(threads: Int) {
        group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        loops = Array(group.makeIterator())
    }

    /// True on one of its threads.
    package var isCurrent: Bool { loops.contains { $0.inEventLoop } }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        group.next().execute { job.runSynchronously(on: executor) }
    }

    /// Runs blocking `work` (a history read, a report) on these threads and waits for it without
    /// holding the caller's thread.
    package func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withTaskExecutorPreference(self) { try work() }
    }
}
