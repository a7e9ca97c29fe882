extension TernConfiguration {
    /// Logging settings (`[log]`).
    public struct Log: Sendable, Hashable {
        /// The least severe level written.
        public var level: LogLevel
        /// How each log line is written.
        public var format: LogFormat

        /// Log settings; defaults `info` and `text`.
        public init(level: LogLevel = .info, format: LogFormat = .text) {
            self.level = level
            self.format = format
        }
    }
}
