public import NIOCore

/// DATA and BDAT (docs/behaviour.md §7): opening the store, streaming text, the final verdict.
extension ServerSession {
    mutating func data(_ argument: String) -> [ServerAction] {
        guard argument.isEmpty else { return send(.noParametersAllowed) }
        if let refusal = transactionRefusal(forBDAT: false) { return send(refusal) }
        if transaction!.resume?.acceptedAs != nil {
            // Completed before: the text is read and dropped (docs/behaviour.md §16).
            phase = .messageData
            return [.send(.startMailInput)]
        }
        phase = .awaiting(.openForData)
        return [openAction(.data)]
    }

    /// How the store of the current transaction is opened.
    private func openAction(_ command: CheckpointCommand) -> ServerAction {
        guard let current = transaction, let key = current.checkpoint else { return .openMessage }
        return .openCheckpointedMessage(key, command, resume: current.resume)
    }

    //     bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ] CR LF
    //     chunk-size = 1*DIGIT
    //     end-marker = "LAST"
    mutating func bdat(_ argument: String) -> [ServerAction] {
        let words = argument.split(separator: " ", omittingEmptySubsequences: false)
        guard (1...2).contains(words.count), !words[0].isEmpty, words[0].count <= 18,
              words[0].allSatisfy({ ("0"..."9").contains($0) }), let size = Int(words[0]),
              words.count == 1 || words[1].uppercased() == "LAST" else {
            return send(.bdatSyntax)
        }
        let last = words.count == 2
        if let refusal = transactionRefusal(forBDAT: true) {
            return startChunk(size: size, target: .discard(then: refusal))
        }
        if transaction!.bdatFailed {
            return startChunk(size: size, target: .discard(then: .previousBDATFailed))
        }
        if let acceptedAs = transaction!.resume?.acceptedAs {
            transaction!.usedBDAT = true
            return startChunk(size: size, target: .skip(last: last, acceptedAs: acceptedAs))
        }
        if !transaction!.storeOpen {
            transaction!.usedBDAT = true
            phase = .awaiting(.openForChunk(size: size, last: last))
            return [openAction(.bdat)]
        }
        return startChunk(size: size, target: .store(last: last))
    }

    /// Why DATA or a first BDAT can't start, in docs/behaviour.md §7.1's order.
    private func transactionRefusal(forBDAT: Bool) -> Reply? {
        guard let transaction else { return .needMail }
        if !forBDAT && transaction.usedBDAT { return .dataAfterBDAT }
        if transaction.recipients.isEmpty {
            return transaction.recipientsTried == 0 ? .needRcpt : .noValidRecipients
        }
        if let resume = transaction.resume, (resume.command == .bdat) != forBDAT { return .resumeWithInterruptedCommand }
        return nil
    }

    /// Stored text of a resumed transaction, before its store is reported open: checked with
    /// the rest as one message (docs/behaviour.md §16 "the message is checked whole").
    public mutating func storedText(_ text: ByteBuffer) {
        transaction?.inspector.inspect(text)
        transaction?.lastByteCR = text.readableBytesView.last == UInt8(ascii: "\r")
    }

    private mutating func startChunk(size: Int, target: ChunkTarget) -> [ServerAction] {
        phase = .chunk(remaining: size, size: size, target: target)
        return size == 0 ? endOfChunk() : []
    }

    /// The result of `openMessage`.
    public mutating func opened(_ success: Bool) -> [ServerAction] {
        guard case .awaiting(let pending) = phase else { preconditionFailure("no store was being opened") }
        switch pending {
        case .openForData:
            guard success else {
                phase = .commands
                return send(.localError)
            }
            transaction!.storeOpen = true
            phase = .messageData
            return [.send(.startMailInput)]
        case .openForChunk(let size, let last):
            guard success else {
                transaction!.bdatFailed = true
                return startChunk(size: size, target: .discard(then: .localError))
            }
            transaction!.storeOpen = true
            return startChunk(size: size, target: .store(last: last))
        default:
            preconditionFailure("opened(_:) answers openMessage only")
        }
    }

    /// Appending to the store failed: the message is lost, the transaction ends with 451.
    public mutating func storeFailed() -> [ServerAction] {
        guard var current = transaction, current.storeOpen, !current.storeFailed else { return [] }
        current.storeFailed = true
        current.storeOpen = false
        transaction = current
        return [.discardMessage]
    }

    /// Stores text if the message can still be accepted; drops the store once it can't.
    private mutating func store(_ text: ByteBuffer) -> [ServerAction] {
        guard var current = transaction else { return [] }
        current.inspector.inspect(text)
        defer { transaction = current }
        guard current.storeOpen else { return [] }
        if current.inspector.isRefused {
            // A checkpointed store stays open, unchanged, so that a broken connection still
            // leaves the record a resume finds (and refuses as a whole, docs/behaviour.md §16).
            guard current.checkpoint == nil else { return [] }
            current.storeOpen = false
            return [.discardMessage]
        }
        return [.appendMessage(text)]
    }

    mutating func messageText(_ text: ByteBuffer, streamOctets: Int) -> [ServerAction] {
        var actions = store(text)
        guard var current = transaction, current.checkpoint != nil, current.storeOpen,
              !current.inspector.isRefused else { return actions }
        // A resume starts at a line start: the last CRLF of what is stored (docs/behaviour.md §16).
        let streamBefore = current.streamOffset
        let storedBefore = current.inspector.size - text.readableBytes
        current.streamOffset += streamOctets
        let view = text.readableBytesView
        var lineEnd: Int?
        for index in view.indices.reversed() where view[index] == UInt8(ascii: "\n") {
            let previousIsCR = index > view.startIndex ? view[index - 1] == UInt8(ascii: "\r") : current.lastByteCR
            if previousIsCR {
                lineEnd = index - view.startIndex + 1
                break
            }
        }
        current.lastByteCR = view.last == UInt8(ascii: "\r")
        transaction = current
        if let lineEnd {
            let dotted = streamOctets - text.readableBytes
            actions.append(.resumePoint(ResumePoint(
                streamOffset: streamBefore + dotted + lineEnd, storedLength: storedBefore + lineEnd)))
        }
        return actions
    }

    mutating func endOfData() -> [ServerAction] {
        phase = .commands
        return finishMessage(requireFinalCRLF: false)
    }

    mutating func chunkData(_ bytes: ByteBuffer) -> [ServerAction] {
        guard case .chunk(let remaining, let size, let target) = phase else { preconditionFailure() }
        phase = .chunk(remaining: remaining - bytes.readableBytes, size: size, target: target)
        var actions: [ServerAction] = []
        if case .store = target { actions = store(bytes) }
        if remaining - bytes.readableBytes == 0 { actions += endOfChunk() }
        return actions
    }

    private mutating func endOfChunk() -> [ServerAction] {
        guard case .chunk(_, let size, let target) = phase else { preconditionFailure() }
        phase = .commands
        switch target {
        case .discard(let reply):
            return send(reply)
        case .skip(let last, let acceptedAs):
            guard last else { return send(.chunkReceived(size)) }
            transaction = nil
            return send(.alreadyAccepted(acceptedAs))
        case .store(let last):
            if last { return finishMessage(requireFinalCRLF: true) }
            if transaction!.inspector.faults.contains(.tooBig) {
                transaction!.bdatFailed = true
                return send(.messageTooBig)
            }
            if transaction!.storeFailed {
                transaction!.bdatFailed = true
                return send(.localError)
            }
            // Octets of chunks answered 250 count toward the resume offset (docs/behaviour.md §16).
            let stored = transaction!.inspector.size
            let point: [ServerAction] = transaction!.checkpoint != nil && transaction!.storeOpen
                && !transaction!.inspector.isRefused
                ? [.resumePoint(ResumePoint(streamOffset: stored, storedLength: stored))] : []
            return point + send(.chunkReceived(size))
        }
    }

    /// The final reply of a message: a content fault, a store failure, or the commit.
    private mutating func finishMessage(requireFinalCRLF: Bool) -> [ServerAction] {
        let current = transaction!
        if let acceptedAs = current.resume?.acceptedAs {
            transaction = nil
            return send(.alreadyAccepted(acceptedAs))
        }
        if let refusal = current.inspector.verdict(requireFinalCRLF: requireFinalCRLF) {
            transaction = nil
            return (current.storeOpen ? [.discardMessage] : []) + send(refusal)
        }
        if current.storeFailed || !current.storeOpen {
            transaction = nil
            return (current.storeOpen ? [.discardMessage] : []) + send(.localError)
        }
        phase = .awaiting(.commit)
        let summary = MessageSummary(
            sender: current.sender, parameters: current.parameters, recipients: current.recipients,
            clientName: hello?.name ?? "", protocolName: protocolName, size: current.inspector.size)
        return [.commitMessage(summary)]
    }

    /// The result of `commitMessage`: the queue id, or the reply to send instead (451).
    public mutating func committed(_ result: Result<QueueID, Reply>) -> [ServerAction] {
        guard case .awaiting(.commit) = phase else { preconditionFailure("no commit outstanding") }
        phase = .commands
        transaction = nil
        switch result {
        case .success(let id): return send(.queued(id))
        case .failure(let reply): return send(reply)
        }
    }

    /// The `with` keyword of the trace field (RFC 3848, RFC 6531 §4.3).
    var protocolName: String {
        guard hello?.extended == true else { return "SMTP" }
        return (transaction?.parameters.smtpUTF8 == true ? "UTF8SMTP" : "ESMTP")
            + (tlsActive ? "S" : "") + (account != nil ? "A" : "")
    }
}
