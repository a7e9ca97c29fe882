public import NIOCore

/// What the transport must do next for a `ServerSession`.
public enum ServerAction: Sendable, Equatable {
    /// Send a reply (it may be batched until the framer needs more input).
    case send(Reply)
    /// Send a reply, flush and close the connection.
    case close(Reply)
    /// Ask the session's owner; answer with `ServerSession.answered(_:)`.
    case ask(Question)
    /// Open a message store; report with `ServerSession.opened(_:)`.
    case openMessage
    /// Open the store of a checkpointed transaction (RFC 1845): a new one, or the stored text
    /// of `resume`, which the transport first hands to `ServerSession.storedText(_:)` chunk by
    /// chunk; report with `ServerSession.opened(_:)`.
    case openCheckpointedMessage(CheckpointKey, CheckpointCommand, resume: CheckpointResume?)
    /// Find the checkpoint record of a TRANSID; report with `ServerSession.checkpointFound(_:)`.
    case lookUpCheckpoint(CheckpointKey)
    /// The text stored so far can be resumed after this point; the store makes it durable
    /// when due (docs/behaviour.md §16 sync interval).
    case resumePoint(ResumePoint)
    /// The connection broke during a checkpointed transfer: make the stored text durable up to
    /// the last resume point and keep it for a resume.
    case suspendMessage
    /// Append text to the open message store; on failure call `ServerSession.storeFailed()`.
    case appendMessage(ByteBuffer)
    /// Make the stored message durable; report with `ServerSession.committed(_:)`.
    case commitMessage(MessageSummary)
    /// Throw away the open message store.
    case discardMessage
    /// Send the reply, flush, drop every octet received but not yet framed, and start TLS;
    /// report with `ServerSession.tlsStarted()`.
    case startTLS(Reply)
    /// Start a SASL exchange; report each step with `ServerSession.authenticationStep(_:)`.
    case authenticate(mechanism: String, initialResponse: [UInt8]?)
    /// The client's next SASL response, base64-decoded; report with `authenticationStep(_:)`.
    case authenticationResponse([UInt8])
    /// The client ended the SASL exchange (`*`, or a response that is not base64): it counts as
    /// a failed AUTH, so pause as after one, then report `.abandoned(reply)` with
    /// `authenticationStep(_:)`.
    case authenticationAbandoned(Reply)
    /// ATRN was accepted: send the reply, flush, and turn the connection around (RFC 2645 §4):
    /// the server's owner now acts as the SMTP client on it. The session has closed; octets
    /// received but not yet framed are the customer's first output.
    case reverseConnection(Reply)
}

/// How a SASL exchange goes on, as the transport's mechanism reports it.
public enum AuthenticationStep: Sendable, Hashable {
    /// Send this challenge (334) and wait for the client's response.
    case challenge([UInt8])
    /// Authenticated as this account: 235.
    case success(account: String)
    /// Wrong credentials or a malformed exchange: 535, counted against the session's limit.
    case invalidCredentials
    /// The account allows only stronger mechanisms: 534.
    case mechanismTooWeak
    /// The account needs a password transition first: 432.
    case transitionNeeded
    /// The credential store can't be read: 454.
    case temporaryFailure
    /// The client ended the exchange: this reply (501), counted against the session's limit.
    case abandoned(Reply)
}

/// A decision the protocol core leaves to the server's owner.
public enum Question: Sendable, Hashable {
    /// May this transaction start? (storage, sender policy) Answer 250 2.1.0 or a refusal.
    case sender(ReversePath, MailParameters)
    /// Is this recipient accepted? Answer 250/251 or a refusal.
    case recipient(ForwardPath, RcptParameters)
    /// VRFY; answer with the reply to send.
    case verify(VerifyRequest)
    /// HELP STATUS; answer with `Reply.systemStatus`.
    case status
    /// On `submission`/`smtps`: does the authenticated account own this sender? Answer
    /// 250 2.1.0 or 553 5.7.1.
    case senderOwnership(ReversePath, account: String)
    /// ETRN passed the listener, sequence and syntax checks: permission, a run in progress and
    /// the count are the owner's (docs/behaviour.md §14). Answer 250/251/252/253, 458 or 459; a positive
    /// answer means the run has started.
    case etrn(ETRNRequest)
    /// ATRN by an authenticated account on `odmr`: ownership, locks and the count are the
    /// owner's (docs/behaviour.md §15). Answer 450, 451, 453, or `Reply.reversingConnection`, after which
    /// the domains stay locked for the turned connection.
    case atrn(ATRNRequest, account: String)
}

/// The argument of VRFY.
public enum VerifyRequest: Sendable, Hashable {
    /// A bare local part: `VRFY user` means user@<primary local domain>.
    case localPart(String)
    /// `VRFY user@example.com` or `VRFY <user@example.com>`.
    case mailbox(Mailbox)
}

/// An accepted recipient, as the client gave it.
public struct AcceptedRecipient: Sendable, Hashable {
    public var path: ForwardPath
    public var parameters: RcptParameters
}

/// Everything about a received message except its text, handed over for the commit.
public struct MessageSummary: Sendable, Hashable {
    public var sender: ReversePath
    public var parameters: MailParameters
    /// Recipients in the order they were accepted.
    public var recipients: [AcceptedRecipient]
    /// The EHLO/HELO argument.
    public var clientName: String
    /// The RFC 3848 / RFC 6531 `with` keyword for the trace field: SMTP, ESMTP, UTF8SMTP, ...
    public var protocolName: String
    /// Octets of message text stored.
    public var size: Int
}
