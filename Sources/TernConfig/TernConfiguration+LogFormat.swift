extension TernConfiguration {
    /// How log lines are written (`log.format`).
    package enum LogFormat: String, Sendable, Hashable, CaseIterable {
        /// Human-readable lines.
        case text
        /// One JSON object per line.
        case json
    }
}
