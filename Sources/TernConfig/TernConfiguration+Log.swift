extension TernConfiguration {
    /// Logging settings (`[log]`).
    package struct Log: Sendable, Hashable {
        /// The least severe level written.
        package var level: LogLevel
        /// How each log line is written.
        package var format: LogFormat

        /// Log settings; defaults `info` and `text`.
        package init(level: LogLevel = .info, format: LogFormat = .text) {
            self.level = level
            self.format = format
        }
    }
}
