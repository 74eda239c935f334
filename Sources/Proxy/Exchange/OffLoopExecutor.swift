import NIOCore
import NIOPosix

/// Where recording work runs: a thread of its own, off the event loops that forward bytes.
///
/// Swift concurrency runs on the forwarding loops (see `CCGlass.main`), so a task that parses a large
/// request body would otherwise sit in the queue of the loop serving a stream, and a 1 MB prompt parsed
/// there holds up every chunk behind it. Tasks started with
/// `Task(executorPreference: RecordingExecutor.shared)` run here instead. Only work that is large
/// enough to be worth the wake-up of another thread goes here: the exporters' per-exchange work is
/// small and stays on the loops.
public final class RecordingExecutor: TaskExecutor {
    public static let shared = RecordingExecutor()

    private let loop: any EventLoop

    private init() {
        loop = MultiThreadedEventLoopGroup(numberOfThreads: 1).next()
    }

    /// True on the recording thread.
    public var isCurrent: Bool { loop.inEventLoop }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        loop.execute { job.runSynchronously(on: executor) }
    }
}
