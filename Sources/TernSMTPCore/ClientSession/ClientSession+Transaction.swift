import NIOCore

/// Mail transactions: the checks before MAIL, the commands, and what each reply decides.
extension ClientSession {
    /// Nothing is outstanding: go on with the current message, start the next, or QUIT.
    mutating func proceed() -> [ClientAction] {
        guard case .ready(let capabilities) = state else { preconditionFailure("not greeted") }
        if transaction != nil { return continueTransaction(capabilities) }
        var actions: [ClientAction] = []
        while !waiting.isEmpty {
            let message = waiting.removeFirst()
            if let refusal = Self.refusal(of: message, by: capabilities) {
                var refused = Transaction(message, useBDAT: false, peerOffersDSN: capabilities.dsn)
                refused.decideRest(.failed(refusal))
                actions.append(.messageResult(refused.result))
                continue
            }
            // A checkpointed transfer goes by DATA: the peer can resume it at any line end, but
            // a single `BDAT <size> LAST` chunk counts nothing until it is whole (RFC 1845 §4).
            let checkpointed = capabilities.checkpoint && message.parameters.transactionID != nil
            transaction = Transaction(
                message, useBDAT: capabilities.chunking && !checkpointed, peerOffersDSN: capabilities.dsn)
            return actions + start(capabilities)
        }
        if quitRequested {
            state = .quitting
            var buffer = ByteBuffer()
            CommandEncoder.quit(into: &buffer)
            actions.append(.send(buffer))
        }
        return actions
    }

    /// Why the peer can't take `message` at all, found before anything is sent.
    static func refusal(of message: OutboundMessage, by peer: PeerCapabilities) -> Reply? {
        if message.requiresSMTPUTF8 && !peer.smtpUTF8 { return .smtpUTF8NotOffered }
        if message.needs8bit && !peer.eightBitMIME { return .eightBitMIMENotOffered }
        if let limit = peer.maximumSize, message.size > limit { return .tooBigForPeer(limit) }
        return nil
    }

    /// The first commands of the transaction: all of them in one group when pipelining.
    private mutating func start(_ capabilities: PeerCapabilities) -> [ClientAction] {
        guard capabilities.pipelining else {
            guard resetNeeded else { return continueTransaction(capabilities) }
            var buffer = ByteBuffer()
            CommandEncoder.rset(into: &buffer)
            expected = [.reset]
            return [.send(buffer)]
        }
        var current = transaction!
        var buffer = ByteBuffer()
        if resetNeeded {
            CommandEncoder.rset(into: &buffer)
            expected.append(.reset)
        }
        CommandEncoder.mail(from: current.message.sender, current.message.mailParameters, peer: capabilities, into: &buffer)
        expected.append(.mail)
        for (index, recipient) in current.message.recipients.enumerated() {
            CommandEncoder.rcpt(to: recipient.path, recipient.parameters, peer: capabilities, into: &buffer)
            expected.append(.recipient(index))
        }
        current.mailSent = true
        current.recipientsSent = current.message.recipients.count
        if !current.useBDAT {
            CommandEncoder.data(into: &buffer)
            expected.append(.data)
            current.dataSent = true
        }
        transaction = current
        return [.send(buffer)]
    }

    /// The next command of an undecided transaction, once every reply is in.
    private mutating func continueTransaction(_ capabilities: PeerCapabilities) -> [ClientAction] {
        var current = transaction!
        defer { transaction = current }
        var buffer = ByteBuffer()
        if !current.mailSent {
            CommandEncoder.mail(from: current.message.sender, current.message.mailParameters, peer: capabilities, into: &buffer)
            current.mailSent = true
            expected = [.mail]
        } else if current.recipientsSent < current.message.recipients.count {
            let recipient = current.message.recipients[current.recipientsSent]
            CommandEncoder.rcpt(to: recipient.path, recipient.parameters, peer: capabilities, into: &buffer)
            expected = [.recipient(current.recipientsSent)]
            current.recipientsSent += 1
        } else if current.useBDAT {
            CommandEncoder.bdat(size: current.message.size, last: true, into: &buffer)
            expected = messageEnds(current)
            return [.send(buffer), .sendBody(messageID: current.message.id, useBDAT: true, resumeAt: 0)]
        } else {
            precondition(!current.dataSent, "DATA's reply decides the transaction")
            CommandEncoder.data(into: &buffer)
            current.dataSent = true
            expected = [.data]
        }
        return [.send(buffer)]
    }

    /// The replies that follow the text: one, or under LMTP one per accepted recipient.
    private func messageEnds(_ current: Transaction) -> [Expectation] {
        configuration.lmtp ? current.accepted.map { .messageEnd($0) } : [.messageEnd(nil)]
    }

    /// Applies the reply to the command it answers.
    mutating func answer(_ expectation: Expectation, _ reply: Reply, _ capabilities: PeerCapabilities) -> [ClientAction] {
        switch expectation {
        case .leftover:
            return []
        case .leftoverData:
            guard reply.code == 354 else { return [] }
            var empty = DotStuffer()
            expected.insert(.leftover, at: 0)
            return [.send(empty.finish())]
        case .reset:
            guard reply.code / 100 == 2 else { return unexpected(reply) }
            resetNeeded = false
            return []
        case .mail, .recipient, .data, .messageEnd:
            break
        }
        guard var current = transaction else { preconditionFailure("transaction replies without a transaction") }
        var actions: [ClientAction] = []
        switch expectation {
        case .mail:
            if reply.code == 355 {
                // RFC 1845: the peer kept the text of an earlier attempt up to this offset.
                guard capabilities.checkpoint, current.message.parameters.transactionID != nil, !current.useBDAT,
                      let offset = Self.transactionOffset(reply) else { return unexpected(reply) }
                current.resumeAt = offset
                current.peerTransactionOpen = true
                break
            }
            guard reply.code / 100 != 3 else { return unexpected(reply) }
            // A refused MAIL is reset too before the next one (docs/behaviour.md §15: "MAIL refused or
            // no RCPT accepted → RSET"), so a peer that kept any state starts clean.
            current.peerTransactionOpen = true
            if !reply.isPositive { current.decideRest(RecipientOutcome(reply)) }
        case .recipient(let index):
            guard reply.code / 100 != 3 else { return unexpected(reply) }
            if reply.isPositive {
                current.accepted.append(index)
            } else {
                current.outcomes[index] = RecipientOutcome(reply)
            }
        case .data:
            if reply.code == 354 {
                expected = messageEnds(current) + expected
                actions.append(.sendBody(messageID: current.message.id, useBDAT: false, resumeAt: current.resumeAt))
            } else if reply.isPositive {
                return unexpected(reply)
            } else {
                current.decideRest(RecipientOutcome(reply))
            }
        case .messageEnd(let index):
            guard reply.code / 100 != 3 else { return unexpected(reply) }
            if let index {
                current.outcomes[index] = RecipientOutcome(reply)
            } else {
                current.decideRest(RecipientOutcome(reply))
            }
            // DATA's final reply ends the peer's transaction either way; a refused BDAT may not.
            current.peerTransactionOpen = current.useBDAT && !reply.isPositive
        case .leftover, .leftoverData, .reset:
            preconditionFailure("handled above")
        }
        transaction = current
        if current.isDecided { actions += finish() }
        return actions
    }

    /// The offset of `355 <offset> is the transaction offset`.
    private static func transactionOffset(_ reply: Reply) -> Int? {
        guard let word = reply.lines.first?.split(separator: " ").first, word.count <= 18,
              word.allSatisfy(\.isASCII), let offset = Int(word), offset >= 0 else { return nil }
        return offset
    }

    /// Reports the decided transaction; replies still due for it become leftovers.
    private mutating func finish() -> [ClientAction] {
        let current = transaction!
        transaction = nil
        resetNeeded = current.peerTransactionOpen
        expected = expected.map { $0 == .data ? .leftoverData : .leftover }
        return [.messageResult(current.result)]
    }
}
