import NIOPosix

package extension NIOThreadPool {
    /// Runs blocking work on the pool and returns its result, like `runIfActive`, but the work
    /// is not dropped when the calling task is cancelled: a commit or a clean-up that has begun
    /// must finish, or the spool is left between two states. Throws
    /// `NIOThreadPoolError.ThreadPoolInactive` if the pool has been shut down.
    func runBlocking<Value: Sendable>(
        _ body: @escaping @Sendable () throws -> Value
    ) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            self.submit { state in
                guard case .active = state else {
                    continuation.resume(throwing: NIOThreadPoolError.ThreadPoolInactive())
                    return
                }
                continuation.resume(with: Result(catching: body))
            }
        }
    }
}
