/// Who a checkpointed transaction belongs to (RFC 1845 §3, docs/behaviour.md §16): the client name from
/// EHLO/HELO (compared without case), the TRANSID (exact) and the authenticated account, so no
/// other client can resume or read someone else's transaction.
public struct CheckpointKey: Hashable, Sendable {
    /// The first word of EHLO/HELO, lower-cased.
    public var clientName: String
    /// The TRANSID with its brackets, as sent.
    public var transactionID: String
    /// The account the client authenticated as, if any.
    public var account: String?

    public init(clientName: String, transactionID: String, account: String?) {
        self.clientName = clientName.lowercased()
        self.transactionID = transactionID
        self.account = account
    }
}

/// The command that carries a checkpointed message's text; a resume must use the same one.
public enum CheckpointCommand: String, Hashable, Sendable {
    case data = "DATA"
    case bdat = "BDAT"
}

/// A place an interrupted transfer can resume from: the offset in the client's stream (the
/// dot-stuffed DATA stream as sent, or BDAT message octets) and the octets of message text
/// stored up to there.
public struct ResumePoint: Hashable, Sendable {
    public var streamOffset: Int
    public var storedLength: Int

    public init(streamOffset: Int, storedLength: Int) {
        self.streamOffset = streamOffset
        self.storedLength = storedLength
    }

    public static let start = ResumePoint(streamOffset: 0, storedLength: 0)
}

/// What a MAIL with a known TRANSID resumes (docs/behaviour.md §16).
public struct CheckpointResume: Hashable, Sendable {
    /// The interrupted command.
    public var command: CheckpointCommand
    /// Where the stored text ends; the 355 names its stream offset.
    public var point: ResumePoint
    /// The queue id when the transaction was completed (its 250 may have been lost): the
    /// resumed transfer is discarded and answered "already accepted".
    public var acceptedAs: String?

    public init(command: CheckpointCommand, point: ResumePoint, acceptedAs: String? = nil) {
        self.command = command
        self.point = point
        self.acceptedAs = acceptedAs
    }
}
