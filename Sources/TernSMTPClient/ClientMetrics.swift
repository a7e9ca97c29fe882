import Metrics

/// What the SMTP client counts, through swift-metrics (docs/operations.md "Metrics and health");
/// without a metrics factory in the process the figures go nowhere.
enum ClientMetrics {
    /// A TLS handshake with a peer ended: it succeeded when the peer's first reply over TLS
    /// came, failed when the connection broke before.
    static func handshake(succeeded: Bool) {
        Counter(label: "tern_tls_handshakes_total", dimensions: [("side", "client"), ("result", succeeded ? "ok" : "failed")])
            .increment()
    }
}
