import NIOCore

/// The client side of one SMTP or LMTP connection as a pure state machine (RFC 5321 §4, RFC 2033).
///
/// The transport feeds it the peer's replies (cut by `ReplyParser`), the messages to send and
/// what happened to the connection; every call returns the actions to perform, in order. It
/// does no I/O, keeps no clock and never blocks. Messages go one after another over the same
/// connection; each ends with a `.messageResult` giving every recipient an outcome.
///
/// Decisions, where the RFCs leave room:
/// - A greeting other than 220, a refused EHLO (and HELO), or a missing STARTTLS when TLS is
///   required says something about the host, not the message: every recipient is deferred,
///   also after a 5yz (RFC 5321 §3.1's 554 refuses this host only; the caller may try another).
/// - EHLO refused with 5yz falls back to HELO, where no extension is used; LMTP has no fallback.
/// - STARTTLS is used whenever offered and the transport can do it; when the peer then refuses
///   it, the session goes on in plain text unless TLS is required.
/// - With credentials, AUTH follows the greeting (after STARTTLS) with the first of their
///   mechanisms the peer offers, only over TLS unless the credentials allow clear text; only
///   235 is success (RFC 4954 §6), and only once the mechanism is complete (SCRAM checks the
///   server's signature). A peer without a usable mechanism, one that refuses the credentials
///   or fails to prove itself gets no message and every recipient is deferred (the operator's
///   to fix).
/// - A message is checked before MAIL: SMTPUTF8 needed and not offered fails it with 5.6.7,
///   8-bit text without 8BITMIME with 5.6.3 (RFC 6152 §3 forbids sending it; Tern does not
///   downgrade), a size over the peer's SIZE with 5.3.4.
/// - With PIPELINING, RSET (when due), MAIL, every RCPT and DATA go as one group (RFC 2920
///   §3.1); without it, one command at a time. BDAT is used whenever CHUNKING is offered, as
///   one `BDAT <size> LAST` chunk sent once some RCPT was accepted (RFC 3030 §4.1), except for
///   a message with a TRANSID to a CHECKPOINT peer: DATA lets that peer resume at a line end.
/// - CHECKPOINT (RFC 1845): a message's TRANSID goes on MAIL; `355 <offset>` resumes the
///   DATA stream there.
/// - No recipient accepted: no DATA (or the pipelined DATA's reply is awaited, and a 354 is
///   answered with a lone `.`, RFC 2920 §3.1); the transaction still open at the peer is reset
///   with RSET before the next MAIL, not right away, since QUIT ends it anyway; so is a
///   refused MAIL.
/// - 421 at any time, a reply that doesn't fit, a malformed reply or a broken connection
///   defers every recipient not yet decided, the waiting messages included, and closes
///   without QUIT.
///
/// SeeAlso: RFC 5321 §3, §4, RFC 2920, RFC 3030, RFC 2033, RFC 3207, RFC 6152, RFC 6531, RFC 1870.
public struct ClientSession: Sendable {
    enum HelloVerb: Sendable {
        case ehlo, helo, lhlo
    }

    enum State: Sendable {
        /// Connected; waiting for the greeting.
        case greeting
        /// EHLO, LHLO or HELO sent.
        case hello(HelloVerb)
        /// STARTTLS sent; the capabilities are kept in case the peer refuses it.
        case startTLS(PeerCapabilities)
        /// The transport is starting TLS.
        case tlsHandshake
        /// AUTH sent with this mechanism (cancelled with `*` when `cancelled`); the
        /// capabilities are kept for the transactions after it.
        case authenticating(PeerCapabilities, any SASLClientMechanism, cancelled: Bool)
        /// Greeted: messages go out.
        case ready(PeerCapabilities)
        /// QUIT sent.
        case quitting
        /// Nothing more to do.
        case closed
    }

    /// A reply outstanding under `.ready`, in the order the commands went out.
    enum Expectation: Sendable, Equatable {
        case reset
        case mail
        case recipient(Int)
        case data
        /// The reply after the text: for every accepted recipient (nil), or under LMTP for this one.
        case messageEnd(Int?)
        /// A reply to a command of a transaction already decided.
        case leftover
        /// A pipelined DATA of a transaction already decided: a 354 gets a lone `.`.
        case leftoverData
    }

    /// One message on its way (OpenSMTPD's `smtp_tx` on the client side).
    struct Transaction: Sendable {
        var message: OutboundMessage
        var useBDAT: Bool
        /// The peer offers DSN, so NOTIFY and ORCPT went with the recipients.
        var peerOffersDSN: Bool
        var outcomes: [RecipientOutcome?]
        /// Indices of the recipients whose RCPT was accepted, in order.
        var accepted: [Int] = []
        var mailSent = false
        var recipientsSent = 0
        var dataSent = false
        /// The peer holds an open transaction (MAIL accepted, not ended by a final reply).
        var peerTransactionOpen = false
        /// The peer kept part of this text from an earlier attempt (RFC 1845 355): the offset
        /// the transfer resumes at.
        var resumeAt = 0

        init(_ message: OutboundMessage, useBDAT: Bool, peerOffersDSN: Bool) {
            self.message = message
            self.useBDAT = useBDAT
            self.peerOffersDSN = peerOffersDSN
            outcomes = Array(repeating: nil, count: message.recipients.count)
        }

        var isDecided: Bool { !outcomes.contains(nil) }

        var result: MessageResult {
            MessageResult(
                messageID: message.id,
                recipients: zip(message.recipients, outcomes).map { RecipientResult(recipient: $0, outcome: $1!) },
                peerOffersDSN: peerOffersDSN)
        }

        /// Every recipient not decided yet gets `outcome`.
        mutating func decideRest(_ outcome: RecipientOutcome) {
            for index in outcomes.indices where outcomes[index] == nil { outcomes[index] = outcome }
        }
    }

    let configuration: ClientSessionConfiguration
    var state: State = .greeting
    /// Messages handed over and not started.
    var waiting: [OutboundMessage] = []
    var transaction: Transaction?
    var expected: [Expectation] = []
    /// The last transaction left the peer's open: RSET before the next MAIL.
    var resetNeeded = false
    var quitRequested = false
    var tlsActive = false

    public init(configuration: ClientSessionConfiguration) {
        self.configuration = configuration
    }

    /// False once the session has closed or is closing.
    public var isOpen: Bool {
        switch state {
        case .quitting, .closed: false
        default: true
        }
    }

    /// True once TLS protects the connection.
    public var isTLSActive: Bool { tlsActive }

    /// What the peer offered, once it is greeted.
    public var peerCapabilities: PeerCapabilities? {
        if case .ready(let capabilities) = state { return capabilities }
        return nil
    }

    /// Hands over a message; it goes out when the ones before it are done. A session that has
    /// ended (or is ending) defers it at once; an open one must not have been asked to quit.
    public mutating func send(_ message: OutboundMessage) -> [ClientAction] {
        precondition(!message.recipients.isEmpty, "a message needs a recipient")
        guard isOpen else {
            return [.messageResult(MessageResult(messageID: message.id, recipients: message.recipients.map {
                RecipientResult(recipient: $0, outcome: .deferred(.sessionClosed))
            }))]
        }
        precondition(!quitRequested, "no message after quit()")
        waiting.append(message)
        return isIdle ? proceed() : []
    }

    /// No more messages: QUIT once the ones handed over are done.
    public mutating func quit() -> [ClientAction] {
        guard isOpen, !quitRequested else { return [] }
        quitRequested = true
        return isIdle ? proceed() : []
    }

    /// Greeted, every message handed over decided, and not asked to quit: the connection can
    /// wait here for more messages (a connection kept for reuse).
    public var isAwaitingMessages: Bool {
        isIdle && waiting.isEmpty && !quitRequested
    }

    /// Greeted, and no command outstanding.
    private var isIdle: Bool {
        if case .ready = state { return transaction == nil && expected.isEmpty }
        return false
    }

    /// A reply from the peer.
    public mutating func received(_ reply: Reply) -> [ClientAction] {
        switch state {
        case .closed:
            return []
        case .quitting:
            state = .closed
            return [.close]
        default:
            break
        }
        if reply.code == 421 { return abandon(reply, quit: false) }
        switch state {
        case .greeting:
            guard reply.code == 220 else { return reply.isPositive ? unexpected(reply) : abandon(reply, quit: true) }
            return hello(configuration.lmtp ? .lhlo : .ehlo)
        case .hello(let verb):
            if reply.code / 100 == 2 {
                return greeted(verb == .helo ? PeerCapabilities() : EHLOResponse(reply).capabilities)
            }
            if reply.isPositive { return unexpected(reply) }
            if verb == .ehlo && reply.isPermanent { return hello(.helo) }
            return abandon(reply, quit: true)
        case .startTLS(let capabilities):
            if reply.code == 220 {
                state = .tlsHandshake
                return [.startTLS]
            }
            if reply.isPositive { return unexpected(reply) }
            if configuration.requireTLS { return abandon(.startTLSRefused(reply.code), quit: true) }
            state = .ready(capabilities)
            return proceed()
        case .tlsHandshake:
            // Octets read before the handshake are plaintext an attacker may have injected.
            return unexpected(reply)
        case .authenticating(let capabilities, var mechanism, let cancelled):
            return authenticating(reply, capabilities, &mechanism, cancelled: cancelled)
        case .ready(let capabilities):
            guard !expected.isEmpty else { return unexpected(reply) }
            var actions = answer(expected.removeFirst(), reply, capabilities)
            if isReady && expected.isEmpty { actions += proceed() }
            return actions
        case .quitting, .closed:
            preconditionFailure("handled above")
        }
    }

    /// A reply during AUTH (RFC 4954 §4, §6): `334` carries a challenge, `235` is the only
    /// success and counts only when the mechanism is complete; a refusal is about the
    /// credentials, not the message: defer, whatever its class.
    private mutating func authenticating(
        _ reply: Reply, _ capabilities: PeerCapabilities, _ mechanism: inout any SASLClientMechanism,
        cancelled: Bool
    ) -> [ClientAction] {
        switch reply.code {
        case 334 where !cancelled:
            let response = Base64.decode(reply.lines.first ?? "").flatMap { mechanism.respond(to: $0) }
            state = .authenticating(capabilities, mechanism, cancelled: response == nil)
            var buffer = ByteBuffer()
            CommandEncoder.authResponse(response, into: &buffer)
            return [.send(buffer)]
        case 235:
            guard !cancelled, mechanism.isComplete else { return abandon(.authPeerNotVerified, quit: true) }
            state = .ready(capabilities)
            return proceed()
        case _ where reply.isPositive:
            return unexpected(reply)
        default:
            return abandon(cancelled ? .authPeerNotVerified : reply, quit: true)
        }
    }

    private var isReady: Bool {
        if case .ready = state { return true }
        return false
    }

    /// TLS is up after `.startTLS`: the session starts over with EHLO (RFC 3207 §4.2).
    public mutating func tlsStarted() -> [ClientAction] {
        guard case .tlsHandshake = state else { preconditionFailure("no STARTTLS outstanding") }
        tlsActive = true
        return hello(configuration.lmtp ? .lhlo : .ehlo)
    }

    /// The transport lost the connection, timed out, failed TLS or couldn't parse a reply:
    /// everything not decided is deferred.
    public mutating func failed(_ failure: ConnectionFailure) -> [ClientAction] {
        switch state {
        case .closed:
            return []
        case .quitting:
            state = .closed
            return [.close]
        default:
            return abandon(failure.reply, quit: false)
        }
    }

    private mutating func hello(_ verb: HelloVerb) -> [ClientAction] {
        state = .hello(verb)
        var buffer = ByteBuffer()
        switch verb {
        case .ehlo: CommandEncoder.ehlo(configuration.hostname, into: &buffer)
        case .helo: CommandEncoder.helo(configuration.hostname, into: &buffer)
        case .lhlo: CommandEncoder.lhlo(configuration.hostname, into: &buffer)
        }
        return [.send(buffer)]
    }

    private mutating func greeted(_ capabilities: PeerCapabilities) -> [ClientAction] {
        if !tlsActive && capabilities.startTLS && configuration.tlsAvailable {
            state = .startTLS(capabilities)
            var buffer = ByteBuffer()
            CommandEncoder.startTLS(into: &buffer)
            return [.send(buffer)]
        }
        if configuration.requireTLS && !tlsActive { return abandon(.tlsNotOffered, quit: true) }
        if let credentials = configuration.credentials {
            guard tlsActive || credentials.allowInClearText else { return abandon(.authNeedsTLS, quit: true) }
            guard var mechanism = credentials.mechanisms.first(where: { capabilities.authMechanisms.contains($0.name) })
            else { return abandon(.authNotOffered(credentials.mechanisms.map(\.name)), quit: true) }
            var buffer = ByteBuffer()
            CommandEncoder.auth(mechanism: mechanism.name, initialResponse: mechanism.start(), into: &buffer)
            state = .authenticating(capabilities, mechanism, cancelled: false)
            return [.send(buffer)]
        }
        state = .ready(capabilities)
        return proceed()
    }

    /// A reply that fits no command: the peer can't be followed any more.
    mutating func unexpected(_ reply: Reply) -> [ClientAction] {
        abandon(.unexpectedReply(reply.code), quit: false)
    }

    /// Ends the session: every recipient not decided, of the current and the waiting messages,
    /// is deferred with `reason`; then QUIT, or close at once.
    mutating func abandon(_ reason: Reply, quit: Bool) -> [ClientAction] {
        var actions: [ClientAction] = []
        if var current = transaction {
            current.decideRest(.deferred(reason))
            actions.append(.messageResult(current.result))
        }
        for message in waiting {
            var pending = Transaction(message, useBDAT: false, peerOffersDSN: false)
            pending.decideRest(.deferred(reason))
            actions.append(.messageResult(pending.result))
        }
        transaction = nil
        waiting = []
        expected = []
        if quit {
            state = .quitting
            var buffer = ByteBuffer()
            CommandEncoder.quit(into: &buffer)
            actions.append(.send(buffer))
        } else {
            state = .closed
            actions.append(.close)
        }
        return actions
    }
}
