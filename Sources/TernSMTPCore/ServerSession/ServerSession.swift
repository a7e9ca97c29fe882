import NIOCore

/// The server side of one SMTP connection as a pure state machine (RFC 5321 §4).
///
/// The transport feeds it frames cut by `SMTPFramer` in the mode `inputMode` names, and answers
/// its questions; every call returns the actions to perform, in order. It does no I/O, keeps no
/// clock and never blocks. While an action waits for its answer (`ask`, `openMessage`,
/// `commitMessage`), the transport must not feed further frames: one command is in flight at a
/// time (RFC 2920 §3.1 ordering).
///
/// SeeAlso: RFC 5321 §4, RFC 2920, RFC 3030, RFC 7504.
public struct ServerSession: Sendable {
    /// The EHLO/HELO the client gave.
    struct Hello: Sendable {
        var name: String
        var extended: Bool
    }

    /// One mail transaction, from MAIL to the final reply (OpenSMTPD's `smtp_tx`).
    struct Transaction: Sendable {
        var sender: ReversePath
        var parameters: MailParameters
        var recipients: [AcceptedRecipient] = []
        var recipientsTried = 0
        var usedBDAT = false
        var bdatFailed = false
        /// The message store is open (after `openMessage` succeeded).
        var storeOpen = false
        /// Appending failed: the transaction ends with 451.
        var storeFailed = false
        var inspector: ContentInspector
        /// The TRANSID key when the client opted in to checkpointing (RFC 1845).
        var checkpoint: CheckpointKey?
        /// What a MAIL with a known TRANSID resumes.
        var resume: CheckpointResume?
        /// Octets of the DATA stream as sent so far, a resumed one's stored part included.
        var streamOffset = 0
        /// The last stored octet was a CR: a LF first in the next text ends a line.
        var lastByteCR = false
    }

    /// What an outstanding action's answer is for.
    enum Pending: Sendable {
        case sender(MailParameters, ReversePath)
        case checkpoint(accepted: Reply)
        case ownership(MailParameters, ReversePath, accepted: Reply)
        case recipient(AcceptedRecipient)
        case reply
        case atrn
        case openForData
        case openForChunk(size: Int, last: Bool)
        case commit
    }

    /// Where the chunk being read goes.
    enum ChunkTarget: Sendable {
        case store(last: Bool)
        case discard(then: Reply)
        /// A completed checkpointed transaction resumed: the text is dropped.
        case skip(last: Bool, acceptedAs: String)
    }

    enum Phase: Sendable {
        case commands
        case awaiting(Pending)
        case messageData
        case chunk(remaining: Int, size: Int, target: ChunkTarget)
        /// STARTTLS answered; waiting for the transport to switch.
        case startingTLS
        /// A SASL exchange is under way.
        case authenticating
        case closed
    }

    let configuration: ServerSessionConfiguration
    var phase: Phase = .commands
    var hello: Hello?
    var transaction: Transaction?
    var errorReplies = 0
    /// TLS protects the connection (after STARTTLS, or from the start on `smtps`).
    var tlsActive: Bool
    /// The account the client authenticated as.
    var account: String?
    /// Failed AUTH attempts; kept across STARTTLS (docs/behaviour.md §12).
    var authFailures = 0

    public init(configuration: ServerSessionConfiguration) {
        self.configuration = configuration
        tlsActive = configuration.role == .smtps
    }

    var host: String { configuration.hostname }

    /// How the framer must cut the input now.
    public var inputMode: InputMode {
        switch phase {
        case .messageData: .messageData
        case .chunk(let remaining, _, _): .chunk(remaining)
        case .authenticating: .saslResponse
        case .commands, .awaiting, .startingTLS, .closed: .commands
        }
    }

    /// False once the session has closed.
    public var isOpen: Bool {
        if case .closed = phase { return false }
        return true
    }

    /// True once TLS protects the connection.
    public var isTLSActive: Bool { tlsActive }

    /// The greeting: 220, or 521 in no-mail mode.
    public mutating func connected() -> [ServerAction] {
        guard configuration.acceptMail else { return [.send(.noMailGreeting(host))] }
        return [.send(configuration.role == .odmr ? .odmrGreeting(host) : .greeting(host))]
    }

    /// A frame from the client.
    public mutating func received(_ frame: Frame) -> [ServerAction] {
        switch (phase, frame) {
        case (.commands, .line(let line)):
            return command(String(decoding: line.readableBytesView, as: UTF8.self))
        case (.commands, .lineTooLong):
            return send(.lineTooLong)
        case (.authenticating, .line(let line)):
            return authenticationResponse(String(decoding: line.readableBytesView, as: UTF8.self))
        case (.authenticating, .lineTooLong):
            phase = .commands
            return send(.authLineTooLong)
        case (.messageData, .messageData(let text, let streamOctets)):
            return messageText(text, streamOctets: streamOctets)
        case (.messageData, .endOfData):
            return endOfData()
        case (.chunk, .chunkData(let bytes)):
            return chunkData(bytes)
        default:
            preconditionFailure("frame \(frame) does not fit phase \(phase)")
        }
    }

    /// The answer to `ask`: the reply to send (positive means accepted).
    public mutating func answered(_ reply: Reply) -> [ServerAction] {
        guard case .awaiting(let pending) = phase else { preconditionFailure("no question outstanding") }
        phase = .commands
        switch pending {
        case .sender(let parameters, let path):
            guard reply.isPositive else { return send(reply) }
            if let size = parameters.size, size > configuration.messageSizeLimit { return send(.messageTooBig) }
            if configuration.requiresAuthentication, let account {
                phase = .awaiting(.ownership(parameters, path, accepted: reply))
                return [.ask(.senderOwnership(path, account: account))]
            }
            return startTransaction(path, parameters, reply)
        case .ownership(let parameters, let path, let accepted):
            guard reply.isPositive else { return send(reply) }
            return startTransaction(path, parameters, accepted)
        case .recipient(let recipient):
            if reply.isPositive { transaction?.recipients.append(recipient) }
            return send(reply)
        case .reply:
            return send(reply)
        case .atrn:
            guard reply == .reversingConnection else { return send(reply) }
            phase = .closed
            return [.reverseConnection(reply)]
        case .openForData, .openForChunk, .commit, .checkpoint:
            preconditionFailure("store results go to opened(_:), committed(_:) and checkpointFound(_:)")
        }
    }

    private mutating func startTransaction(_ path: ReversePath, _ parameters: MailParameters, _ reply: Reply) -> [ServerAction] {
        transaction = Transaction(sender: path, parameters: parameters,
                                  inspector: ContentInspector(sizeLimit: configuration.messageSizeLimit))
        if configuration.offersCheckpoint, let transactionID = parameters.transactionID, let hello {
            let key = CheckpointKey(clientName: hello.name, transactionID: transactionID, account: account)
            transaction?.checkpoint = key
            phase = .awaiting(.checkpoint(accepted: reply))
            return [.lookUpCheckpoint(key)]
        }
        return send(reply)
    }

    /// The answer to `lookUpCheckpoint`: nil for a new transaction (the MAIL's 250), or what
    /// it resumes (355 with the offset).
    public mutating func checkpointFound(_ resume: CheckpointResume?) -> [ServerAction] {
        guard case .awaiting(.checkpoint(let accepted)) = phase else { preconditionFailure("no checkpoint lookup outstanding") }
        phase = .commands
        guard let resume else { return send(accepted) }
        transaction?.resume = resume
        transaction?.streamOffset = resume.point.streamOffset
        return send(.transactionOffset(resume.point.streamOffset))
    }

    /// Ends the transaction; an open store is discarded, or kept for a resume when the client
    /// asked for checkpoints and `keep` (the connection broke rather than the client reset it).
    mutating func endTransaction(keepingCheckpoint keep: Bool = false) -> [ServerAction] {
        defer { transaction = nil }
        guard let current = transaction, current.storeOpen else { return [] }
        return [keep && current.checkpoint != nil ? .suspendMessage : .discardMessage]
    }

    /// Sends a reply, counting error replies against the session's limit (docs/behaviour.md §8).
    mutating func send(_ reply: Reply) -> [ServerAction] {
        if ((500...504).contains(reply.code) || reply.code == 555) && reply != .authenticationCancelled {
            if errorReplies >= configuration.badCommandLimit {
                return close(.tooManyErrors(host))
            }
            errorReplies += 1
        }
        return [.send(reply)]
    }

    /// Closes the session after `reply`, discarding an open message store.
    mutating func close(_ reply: Reply) -> [ServerAction] {
        phase = .closed
        return endTransaction(keepingCheckpoint: true) + [.close(reply)]
    }

    /// The transport closes the session from outside (idle timeout, shutdown): the reply to
    /// send, with the store discarded if one is open.
    public mutating func terminate(_ reply: Reply) -> [ServerAction] {
        close(reply)
    }

    /// The client went away; an unfinished transaction is discarded (kept for a resume when
    /// it is checkpointed).
    public mutating func disconnected() -> [ServerAction] {
        phase = .closed
        return endTransaction(keepingCheckpoint: true)
    }
}
