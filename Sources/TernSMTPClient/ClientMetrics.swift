import Metrics

/// What the SMTP client counts, through swift-metrics (docs/operations.md "Metrics and health");
/// without a metrics factory in the process the figures go nowhere. The handles are made at
/// their first use and kept (docs/architecture.md §4).
enum ClientMetrics {
    private static let handshakes = [true, false].map {
        Counter(label: "tern_tls_handshakes_total", dimensions: [("side", "client"), ("result", $0 ? "ok" : "failed")])
    }

    /// A TLS handshake with a peer ended: it succeeded when the peer's first reply over TLS
    /// came, failed when the connection broke before.
    static func handshake(succeeded: Bool) {
        handshakes[succeeded ? 0 : 1].increment()
    }
}
