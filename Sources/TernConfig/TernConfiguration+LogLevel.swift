extension TernConfiguration {
    /// A log severity (`log.level`), least severe first.
    package enum LogLevel: String, Sendable, Hashable, CaseIterable {
        /// Every step, for debugging the server itself.
        case trace
        /// Details useful when chasing a problem.
        case debug
        /// One line per mail milestone.
        case info
        /// Normal but significant events.
        case notice
        /// Something went wrong and was handled.
        case warning
        /// An operation failed.
        case error
        /// The server cannot go on.
        case critical
    }
}
