import NIOCore

/// An event loop as a task executor (SE-0417): a connection's task, and the default actors it
/// calls (the session handler), run on the thread of the connection's channel. Reading a
/// line, asking the handler and writing the reply then never wake another thread; only the
/// blocking file work crosses to the thread pool and back (docs/architecture.md "Event loops,
/// tasks and one thread pool").
///
/// Whatever runs on it must not block: file and DNS work goes to the `NIOThreadPool`.
final class EventLoopTaskExecutor: TaskExecutor {
    private let eventLoop: any EventLoop

    /// An executor running jobs on `eventLoop`.
    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
