import NIOCore
package import TernSMTPCore

/// Drives a `ServerSession` in memory, the way the NIO transport does, with scripted answers:
/// feed it octets (whole or one at a time) and read back the reply text and the stored messages.
package struct SessionDriver {
    package var session: ServerSession
    private var framer = SMTPFramer()
    /// Everything the session sent, in wire form.
    package private(set) var output = ""
    /// Messages committed, as the text that reached the store.
    package private(set) var committed: [(summary: MessageSummary, text: [UInt8])] = []
    /// Text of the message being stored.
    private var storing: [UInt8]?
    /// The session closed the connection.
    package private(set) var closed = false
    /// Answers to `ask`: by default every sender and recipient is accepted.
    package var answer: (Question) -> Reply
    /// Whether opening a store succeeds.
    package var storeOpens = true
    /// Appends fail after this many octets (nil: never).
    package var storeFailsAfter: Int?
    /// Plays the SASL mechanism: each step the session reports, in order.
    package var authenticationSteps: [AuthenticationStep] = []
    /// What the session asked the mechanism: the mechanism and initial response, then responses.
    package private(set) var authenticationInput: [String] = []
    /// STARTTLS switches happened.
    package private(set) var tlsStarts = 0
    /// ATRN turned the connection around; the octets not yet framed then.
    package private(set) var reversed: [UInt8]?
    /// Checkpoint records by key, as `lookUpCheckpoint` finds them; a resumed store starts
    /// with `storedPrefix`.
    package var checkpoints: [CheckpointKey: CheckpointResume] = [:]
    package var storedPrefix: [UInt8] = []
    /// The checkpointed stores opened: key and command.
    package private(set) var checkpointedOpens: [(CheckpointKey, CheckpointCommand)] = []
    /// Resume points reported, in order.
    package private(set) var resumePoints: [ResumePoint] = []
    /// Text kept by `suspendMessage`.
    package private(set) var suspended: [[UInt8]] = []

    package init(_ configuration: ServerSessionConfiguration, answer: @escaping (Question) -> Reply = SessionDriver.acceptAll) {
        session = ServerSession(configuration: configuration)
        self.answer = answer
        perform(session.connected())
    }

    /// Accepts every sender and recipient, answers VRFY with 252, status with zeros, starts
    /// every ETRN run (`253`, one message) and turns every ATRN around.
    package static func acceptAll(_ question: Question) -> Reply {
        switch question {
        case .sender: .senderOK
        case .recipient: .recipientOK
        case .verify: .cannotVerify
        case .status: .systemStatus("test", ServerStatus(acceptingMail: true, sessions: 1, queuedMessages: 0, heldMessages: 0))
        case .senderOwnership: .senderOK
        case .etrn(let request): .etrnStarted(request.node.description, messages: 1)
        case .atrn: .reversingConnection
        }
    }

    /// Feeds octets in one piece.
    package mutating func feed(_ text: String) {
        feed(Array(text.utf8))
    }

    /// Feeds octets, in one piece or one octet per read.
    package mutating func feed(_ bytes: [UInt8], dripping: Bool = false) {
        if dripping {
            for byte in bytes { receive([byte]) }
        } else {
            receive(bytes)
        }
    }

    /// The client goes away.
    package mutating func disconnect() {
        guard !closed else { return }
        closed = true
        perform(session.disconnected())
    }

    /// Returns and clears the output collected so far.
    package mutating func take() -> String {
        defer { output = "" }
        return output
    }

    private mutating func receive(_ bytes: [UInt8]) {
        guard !closed else { return }
        framer.append(ByteBuffer(bytes: bytes))
        while session.isOpen, let frame = framer.next(session.inputMode) {
            perform(session.received(frame))
        }
    }

    private mutating func perform(_ actions: [ServerAction]) {
        var queue = actions[...]
        while let action = queue.popFirst() {
            var next: [ServerAction] = []
            switch action {
            case .send(let reply):
                output += reply.description + "\r\n"
            case .close(let reply):
                output += reply.description + "\r\n"
                closed = true
            case .ask(let question):
                next = session.answered(answer(question))
            case .openMessage:
                storing = storeOpens ? [] : nil
                next = session.opened(storeOpens)
            case .appendMessage(let bytes):
                storing?.append(contentsOf: bytes.readableBytesView)
                if let limit = storeFailsAfter, (storing?.count ?? 0) > limit {
                    next = session.storeFailed()
                }
            case .commitMessage(let summary):
                committed.append((summary, storing ?? []))
                storing = nil
                next = session.committed(.success(QueueID("Q\(committed.count)")!))
            case .discardMessage:
                storing = nil
            case .suspendMessage:
                suspended.append(storing ?? [])
                storing = nil
            case .lookUpCheckpoint(let key):
                next = session.checkpointFound(checkpoints[key])
            case .openCheckpointedMessage(let key, let command, let resume):
                checkpointedOpens.append((key, command))
                if resume != nil { session.storedText(ByteBuffer(bytes: storedPrefix)) }
                storing = storeOpens ? (resume != nil ? storedPrefix : []) : nil
                next = session.opened(storeOpens)
            case .resumePoint(let point):
                resumePoints.append(point)
            case .startTLS(let reply):
                output += reply.description + "\r\n"
                framer.discardBuffered()
                tlsStarts += 1
                next = session.tlsStarted()
            case .authenticate(let mechanism, let initialResponse):
                authenticationInput.append(mechanism + (initialResponse.map { " " + Base64.encode($0) } ?? ""))
                next = session.authenticationStep(authenticationSteps.removeFirst())
            case .authenticationResponse(let bytes):
                authenticationInput.append(Base64.encode(bytes))
                next = session.authenticationStep(authenticationSteps.removeFirst())
            case .authenticationAbandoned(let reply):
                next = session.authenticationStep(.abandoned(reply))
            case .reverseConnection(let reply):
                output += reply.description + "\r\n"
                reversed = Array(framer.takeBuffered().readableBytesView)
                closed = true
            }
            queue = next[...] + queue
        }
    }
}
