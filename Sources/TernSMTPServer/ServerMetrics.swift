import Metrics
import NIOCore
import TernSASL
import TernSMTPCore

/// What an SMTP server counts, through swift-metrics: the process's metrics factory decides where
/// the figures go (Tern's daemon exposes them for Prometheus, docs/operations.md "Metrics and
/// health"); without one they go nowhere. The protocol core only returns replies and actions;
/// this is where they are counted.
enum ServerMetrics {
    /// The part of a mail transaction a reply answers, for refusals.
    enum Stage: String {
        case mail
        case rcpt
        case data
    }

    /// A connection was accepted on a listener of `role`; it stays open until `closed(_:)`.
    static func opened(_ role: ListenerRole) {
        Counter(label: "tern_smtp_connections_total", dimensions: [("role", role.rawValue)]).increment()
        Meter(label: "tern_smtp_connections_open", dimensions: [("role", role.rawValue)]).increment()
    }

    /// A connection of a listener of `role` ended.
    static func closed(_ role: ListenerRole) {
        Meter(label: "tern_smtp_connections_open", dimensions: [("role", role.rawValue)]).decrement()
    }

    /// `reply` was sent; a failure answering `stage` is a refusal, by its enhanced code (the
    /// reply code when it has none).
    static func sent(_ reply: Reply, answering stage: Stage?) {
        let enhanced = reply.enhanced.map { "\($0)" }
        Counter(label: "tern_smtp_replies_total", dimensions: [("code", "\(reply.code)"), ("enhanced", enhanced ?? "none")])
            .increment()
        if let stage, !reply.isPositive {
            Counter(label: "tern_messages_refused_total",
                    dimensions: [("stage", stage.rawValue), ("reason", enhanced ?? "\(reply.code)")]).increment()
        }
    }

    /// A message of `size` octets was accepted on a listener of `role`.
    static func accepted(_ role: ListenerRole, size: Int) {
        Counter(label: "tern_messages_accepted_total", dimensions: [("role", role.rawValue)]).increment()
        Counter(label: "tern_message_bytes_total", dimensions: [("role", role.rawValue)]).increment(by: size)
    }

    /// A TLS handshake with a client ended.
    static func handshake(succeeded: Bool) {
        Counter(label: "tern_tls_handshakes_total", dimensions: [("side", "server"), ("result", succeeded ? "ok" : "failed")])
            .increment()
    }

    /// An AUTH exchange with `mechanism` (as the client named it) ended.
    static func authentication(_ mechanism: String, succeeded: Bool) {
        let name = SASLMechanism(name: mechanism)?.rawValue ?? "other"
        Counter(label: "tern_auth_attempts_total",
                dimensions: [("mechanism", name), ("result", succeeded ? "success" : "failure")]).increment()
    }
}

extension ServerMetrics.Stage {
    /// The stage a command line answers: MAIL, RCPT, DATA or BDAT; nil for the others.
    init?(commandLine line: ByteBufferView) {
        guard line.count >= 4 else { return nil }
        let verb = line.prefix(4).map { $0 & 0xDF }
        switch verb {
        case Array("MAIL".utf8): self = .mail
        case Array("RCPT".utf8): self = .rcpt
        case Array("DATA".utf8), Array("BDAT".utf8): self = .data
        default: return nil
        }
    }
}
