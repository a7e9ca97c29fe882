package import NIOCore

/// An event loop as a task executor (SE-0417): a connection's task, and the default actors it
/// calls (the server's session handler), run on the thread of the connection's channel, the
/// server's connections and the SMTP client's alike. Reading a line, deciding and writing the
/// answer then never wake another thread; only the blocking file work crosses to the thread
/// pool and back (docs/architecture.md "Event loops, tasks and one thread pool").
///
/// Whatever runs on it must not block: file and DNS work goes to the `NIOThreadPool`.
package final class EventLoopTaskExecutor: TaskExecutor {
    private let eventLoop: any EventLoop

    /// An executor running jobs on `eventLoop`.
    package init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
