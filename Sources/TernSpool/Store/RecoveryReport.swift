/// What `FileSpool.recover()` found and did at start.
package struct RecoveryReport: Hashable, Sendable {
    /// Committed messages kept for delivery.
    package var messages: Int
    /// Files purged from `tmp/`: messages never acknowledged, or unfinished updates.
    package var purgedTemporaryFiles: Int
    /// Messages moved to `corrupt/`: an envelope that won't parse or has no body, or a file
    /// that is not part of a message.
    package var quarantined: Int
    /// Texts deleted because their envelope was never committed.
    package var orphanBodies: Int
    /// Envelopes deleted because their message was being removed (every recipient final, the
    /// text already unlinked) when the server stopped.
    package var finishedRemovals: Int

    /// Creates a report.
    package init(
        messages: Int = 0, purgedTemporaryFiles: Int = 0, quarantined: Int = 0, orphanBodies: Int = 0,
        finishedRemovals: Int = 0
    ) {
        self.messages = messages
        self.purgedTemporaryFiles = purgedTemporaryFiles
        self.quarantined = quarantined
        self.orphanBodies = orphanBodies
        self.finishedRemovals = finishedRemovals
    }
}
