extension TernConfiguration {
    /// Checkpoint/restart (`[checkpoint]`, RFC 1845, docs/behaviour.md §16).
    package struct Checkpoint: Sendable, Equatable {
        /// How long the text of a broken transaction, or a completed record, waits for a resume
        /// (`keep_partial`).
        package var keepPartial: Duration
        /// Received octets between syncs of a checkpointed transfer (`sync_every`).
        package var syncEvery: Int

        /// docs/configuration.md's defaults: 24 hours, 256 KiB.
        package init(keepPartial: Duration = .seconds(24 * 3_600), syncEvery: Int = 256 * 1_024) {
            self.keepPartial = keepPartial
            self.syncEvery = syncEvery
        }
    }
}
