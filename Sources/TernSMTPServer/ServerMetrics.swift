import Metrics
import NIOConcurrencyHelpers
import NIOCore
import TernSASL
import TernSMTPCore

/// What an SMTP server counts, through swift-metrics: the process's metrics factory decides where
/// the figures go (Tern's daemon exposes them for Prometheus, docs/operations.md "Metrics and
/// health"); without one they go nowhere. The protocol core only returns replies and actions;
/// this is where they are counted.
///
/// Handles are made once, at their first use, and kept: a figure then costs a dictionary lookup
/// and an atomic add, not a lookup in the factory's registry (docs/architecture.md §4). So a
/// process bootstraps its metrics factory before it starts its servers, as swift-metrics asks.
enum ServerMetrics {
    /// The part of a mail transaction a reply answers, for refusals.
    enum Stage: String, CaseIterable {
        case mail
        case rcpt
        case data
    }

    /// A reply as the metrics tell replies apart.
    private struct ReplyKey: Hashable {
        var code: Int
        var enhanced: EnhancedStatusCode?

        var reason: String { enhanced.map { "\($0)" } ?? "\(code)" }
    }

    /// The counters of each listener role.
    private struct RoleHandles {
        let connections: Counter
        let open: Meter
        let accepted: Counter
        let bytes: Counter

        init(_ role: ListenerRole) {
            let dimensions = [("role", role.rawValue)]
            connections = Counter(label: "tern_smtp_connections_total", dimensions: dimensions)
            open = Meter(label: "tern_smtp_connections_open", dimensions: dimensions)
            accepted = Counter(label: "tern_messages_accepted_total", dimensions: dimensions)
            bytes = Counter(label: "tern_message_bytes_total", dimensions: dimensions)
        }
    }

    private static let roles = Dictionary(uniqueKeysWithValues: ListenerRole.allCases.map { ($0, RoleHandles($0)) })
    private static let replies = NIOLockedValueBox<[ReplyKey: Counter]>([:])
    private static let refusals = Dictionary(uniqueKeysWithValues: Stage.allCases.map {
        ($0, NIOLockedValueBox<[ReplyKey: Counter]>([:]))
    })
    private static let handshakes = [true, false].map {
        Counter(label: "tern_tls_handshakes_total", dimensions: [("side", "server"), ("result", $0 ? "ok" : "failed")])
    }
    private static let authentications = NIOLockedValueBox<[String: Counter]>([:])

    /// A connection was accepted on a listener of `role`; it stays open until `closed(_:)`.
    static func opened(_ role: ListenerRole) {
        roles[role]!.connections.increment()
        roles[role]!.open.increment()
    }

    /// A connection of a listener of `role` ended.
    static func closed(_ role: ListenerRole) {
        roles[role]!.open.decrement()
    }

    /// `reply` was sent; a failure answering `stage` is a refusal, by its enhanced code (the
    /// reply code when it has none).
    static func sent(_ reply: Reply, answering stage: Stage?) {
        let key = ReplyKey(code: reply.code, enhanced: reply.enhanced)
        cached(key, in: replies) {
            Counter(label: "tern_smtp_replies_total", dimensions: [
                ("code", "\(key.code)"), ("enhanced", key.enhanced.map { "\($0)" } ?? "none"),
            ])
        }.increment()
        guard let stage, !reply.isPositive else { return }
        cached(key, in: refusals[stage]!) {
            Counter(label: "tern_messages_refused_total", dimensions: [("stage", stage.rawValue), ("reason", key.reason)])
        }.increment()
    }

    /// A message of `size` octets was accepted on a listener of `role`.
    static func accepted(_ role: ListenerRole, size: Int) {
        roles[role]!.accepted.increment()
        roles[role]!.bytes.increment(by: size)
    }

    /// A TLS handshake with a client ended.
    static func handshake(succeeded: Bool) {
        handshakes[succeeded ? 0 : 1].increment()
    }

    /// An AUTH exchange with `mechanism` (as the client named it) ended.
    static func authentication(_ mechanism: String, succeeded: Bool) {
        let name = SASLMechanism(name: mechanism)?.rawValue ?? "other"
        let result = succeeded ? "success" : "failure"
        cached(name + " " + result, in: authentications) {
            Counter(label: "tern_auth_attempts_total", dimensions: [("mechanism", name), ("result", result)])
        }.increment()
    }

    /// The handle for `key` in `cache`, made by `make` the first time.
    private static func cached<Key: Hashable>(
        _ key: Key, in cache: NIOLockedValueBox<[Key: Counter]>, make: () -> Counter
    ) -> Counter {
        cache.withLockedValue { handles in
            if let handle = handles[key] { return handle }
            let handle = make()
            handles[key] = handle
            return handle
        }
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
