public import NIOCore
public import TernSMTPCore

/// Who connected, as the server's owner sees it.
public struct ConnectionInfo: Sendable, Hashable {
    /// A number unique among this process's connections, for logs.
    public var id: UInt64
    /// The client's IP address; nil when unknown (the connection went before it was read).
    public var remoteAddress: IPAddress?
    /// The listener's role.
    public var role: ListenerRole
    /// Closes this connection from outside (a newer session takes over its checkpoint).
    public var control: ConnectionControl
}

/// A handle on one connection for its owner: closing it ends the session as if the client had
/// gone away (an open checkpointed message is suspended).
public final class ConnectionControl: Hashable, Sendable {
    private let closeChannel: @Sendable () -> Void

    public init(close: @escaping @Sendable () -> Void) {
        closeChannel = close
    }

    /// Closes the connection without a reply.
    public func close() {
        closeChannel()
    }

    public static func == (lhs: ConnectionControl, rhs: ConnectionControl) -> Bool { lhs === rhs }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}

/// The owner of an `SMTPServer`: decides about each connection (go-smtp's `Backend`).
///
/// Only ``session(for:)`` must be written; a server that needs no per-connection state can
/// pass a closure to `SMTPServer`'s initialiser instead of a delegate.
public protocol SMTPServerDelegate: Sendable {
    /// A handler for a new connection. Throwing a reply refuses the connection with it.
    func session(for connection: ConnectionInfo) async throws(Reply) -> any SMTPSessionHandler
    /// The figures of HELP STATUS (docs/behaviour.md §3). `server` holds what the server knows
    /// itself: whether it accepts mail and the sessions its `ConnectionTracker` counts, with no
    /// queued or held messages. By default that is the answer.
    func status(_ server: ServerStatus) async -> ServerStatus
}

extension SMTPServerDelegate {
    /// The server's own figures, unchanged.
    public func status(_ server: ServerStatus) async -> ServerStatus { server }
}

/// The decisions of one SMTP session (go-smtp's `Session`, aiosmtpd's handler). Calls come one
/// at a time, in protocol order.
///
/// Only ``beginMessage()`` must be written: by default every sender and recipient is
/// accepted, VRFY gets 252, no account owns any sender, and ETRN, ATRN and checkpoints are
/// refused (see each method's default).
public protocol SMTPSessionHandler: Sendable {
    /// MAIL FROM passed the protocol checks: accept (return) or refuse (throw the reply, e.g.
    /// 452 4.3.1). Every transaction starts here.
    func mail(from path: ReversePath, parameters: MailParameters) async throws(Reply)
    /// RCPT TO passed the protocol checks: return the positive reply (250 or 251) or throw the refusal.
    func recipient(_ path: ForwardPath, parameters: RcptParameters) async throws(Reply) -> Reply
    /// VRFY: the reply to send.
    func verify(_ request: VerifyRequest) async -> Reply
    /// DATA or the first BDAT: open a place for the message text, or throw the refusal (the
    /// client gets 451 4.3.0 and the transaction ends).
    func beginMessage() async throws(Reply) -> any SMTPMessageSink
    /// On `submission`/`smtps`: whether `account` may use `sender` (return) or not (throw 553 5.7.1).
    func checkSender(_ sender: ReversePath, account: String) async throws(Reply)
    /// TLS is up; `version` is the protocol version, e.g. `TLSv1.3`. The session starts over
    /// (RFC 3207 §4.2): forget what the client said and did before, AUTH included. Comes before
    /// any command read inside TLS.
    func tlsEstablished(version: String) async
    /// The client authenticated as `account`.
    func authenticated(as account: String) async
    /// ETRN on `mx` passed the protocol checks: permission, a run in progress, the count; the
    /// reply (250/251/252/253 once the run started, 458, 459; docs/behaviour.md §14).
    func etrn(_ request: ETRNRequest) async -> Reply
    /// ATRN by `account` on `odmr`: `.accepted` with the work for the turned connection (the
    /// domains stay locked for it), or the refusal (450, 451, 453; docs/behaviour.md §15).
    func atrn(_ request: ATRNRequest, account: String) async -> ATRNDecision
    /// The connection has ended, for whatever reason; no call follows.
    func sessionEnded() async
    /// MAIL with a TRANSID (RFC 1845): the checkpoint record of `key`, or nil for a new
    /// transaction. A live session that holds the record is closed and its text synced first.
    func checkpoint(_ key: CheckpointKey) async -> CheckpointResume?
    /// DATA or the first BDAT of a checkpointed transaction: a new store, or the one `resume`
    /// names with its stored text.
    func beginCheckpointedMessage(_ key: CheckpointKey, command: CheckpointCommand, resume: CheckpointResume?)
        async throws(Reply) -> any CheckpointedMessageSink
}

/// The owner's answer to ATRN.
public enum ATRNDecision: Sendable {
    /// `250 2.0.0 OK now reversing the connection`, then `ConnectionReversal.run`.
    case accepted(any ConnectionReversal)
    /// The reply to send; the session goes on.
    case refused(Reply)
}

extension SMTPSessionHandler {
    /// By default every sender is accepted: `250 2.1.0 Sender OK` (docs/behaviour.md §4).
    public func mail(from path: ReversePath, parameters: MailParameters) async throws(Reply) {}
    /// By default every recipient is accepted: `250 2.1.5 Recipient OK` (docs/behaviour.md §5).
    public func recipient(_ path: ForwardPath, parameters: RcptParameters) async throws(Reply) -> Reply {
        .recipientOK
    }
    /// By default nothing is verified, and the message would be taken: `252 2.1.5 Cannot VRFY
    /// user ...`, docs/behaviour.md §3's "never verify" mode.
    public func verify(_ request: VerifyRequest) async -> Reply { .cannotVerify }
    /// By default every sender is refused for an authenticated account: an owner that offers
    /// submission must say which senders an account owns.
    public func checkSender(_ sender: ReversePath, account: String) async throws(Reply) {
        throw Reply.senderNotOwned(sender, account: account)
    }
    /// By default TLS changes nothing for the handler.
    public func tlsEstablished(version: String) async {}
    /// By default an authenticated account changes nothing for the handler.
    public func authenticated(as account: String) async {}
    /// By default no node is held: every well-formed ETRN is refused with 459.
    public func etrn(_ request: ETRNRequest) async -> Reply {
        .nodeNotAllowed(request.node.description, reason: "not a hold domain")
    }
    /// By default no domain is held: ATRN has nothing to hand over.
    public func atrn(_ request: ATRNRequest, account: String) async -> ATRNDecision {
        .refused(.youHaveNoMail)
    }
    /// By default there is nothing to clean up.
    public func sessionEnded() async {}
    /// By default nothing is kept: every TRANSID starts a new transaction.
    public func checkpoint(_ key: CheckpointKey) async -> CheckpointResume? { nil }
    /// By default checkpointed messages can't be stored (an owner that sets
    /// `offersCheckpoint` implements this).
    public func beginCheckpointedMessage(_ key: CheckpointKey, command: CheckpointCommand, resume: CheckpointResume?)
        async throws(Reply) -> any CheckpointedMessageSink
    {
        throw Reply.localError
    }
}

/// Where the text of one message goes while it is received (maddy's delivery transaction).
public protocol SMTPMessageSink: Sendable {
    /// Appends message text; a failure ends the transaction with 451 4.3.0.
    func write(_ bytes: ByteBuffer) async throws
    /// Makes the message durable and returns its queue id; the 250 (`queued as <id>`) is sent
    /// only after this. Throwing sends the reply instead (451 4.3.0 for a local error).
    func commit(_ summary: MessageSummary) async throws(Reply) -> QueueID
    /// Throws the message away; never fails.
    func abort() async
}

/// The store of a checkpointed message (RFC 1845): it can be suspended when the connection
/// breaks and resumed by a later session.
public protocol CheckpointedMessageSink: SMTPMessageSink {
    /// Hands the text stored before (a resumed transaction) to `each`, chunk by chunk.
    func readStored(_ each: (ByteBuffer) async -> Void) async throws
    /// The text written so far can be resumed after `point`: make it durable when the sync
    /// interval has passed. Failures are logged; the commit still syncs everything.
    func reached(_ point: ResumePoint) async
    /// The connection broke: make the text durable up to the last point and keep it.
    func suspend() async
}

/// A delegate made of a closure that gives each connection its handler, for a server that
/// needs nothing else of a delegate (HELP STATUS shows the server's own figures).
public struct SessionFactory: SMTPServerDelegate {
    private let make: @Sendable (ConnectionInfo) async throws(Reply) -> any SMTPSessionHandler

    /// A delegate that asks `make` for each connection's handler; throwing a reply refuses the
    /// connection with it.
    public init(_ make: @escaping @Sendable (ConnectionInfo) async throws(Reply) -> any SMTPSessionHandler) {
        self.make = make
    }

    /// The closure's handler for `connection`.
    public func session(for connection: ConnectionInfo) async throws(Reply) -> any SMTPSessionHandler {
        try await make(connection)
    }
}
