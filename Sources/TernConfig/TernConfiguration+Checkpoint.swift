extension TernConfiguration {
    /// Checkpoint/restart (`[checkpoint]`, RFC 1845, docs/behaviour.md §16).
    public struct Checkpoint: Sendable, Equatable {
        /// How long the text of a broken transaction, or a completed record, waits for a resume
        /// (`keep_partial`).
        public var keepPartial: Duration
        /// Received octets between syncs of a checkpointed transfer (`sync_every`).
        public var syncEvery: Int

        /// docs/configuration.md's defaults: 24 hours, 256 KiB.
        public init(keepPartial: Duration = .seconds(24 * 3_600), syncEvery: Int = 256 * 1_024) {
            self.keepPartial = keepPartial
            self.syncEvery = syncEvery
        }
    }
}
