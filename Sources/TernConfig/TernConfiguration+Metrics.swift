extension TernConfiguration {
    /// The HTTP listener for Prometheus and health checks (`[metrics]`, docs/operations.md
    /// "Metrics and health").
    package struct Metrics: Sendable, Hashable {
        /// The IP address to bind, without brackets.
        package var host: String
        /// The TCP port.
        package var port: Int

        /// A listener on `host`:`port`.
        package init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }
}
