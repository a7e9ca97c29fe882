import Foundation
import Logging
import NIOCore
import TernAccounts
import TernConfig
import TernDelivery
import TernMessage
import TernPolicy
import TernSMTPCore
import TernSMTPServer
import TernSpool

/// The MTA's decisions for one SMTP session: storage and recipient policy, and the spool
/// commit that turns a received message into queue work.
actor MTASession: SMTPSessionHandler {
    /// An accepted recipient and where its copies go.
    struct Recipient {
        var path: ForwardPath
        var parameters: RcptParameters
        var targets: [RecipientTarget]
    }

    let mta: MTA
    let connection: ConnectionInfo
    let logger: Logger
    private var recipients: [Recipient] = []
    /// The account the client authenticated as: it may relay.
    private var account: String?
    /// The client is in `[relay] networks` and connected to an `mx` listener: it may relay
    /// without AUTH.
    private let trustedNetwork: Bool
    /// The TLS version of the connection, for the trace field.
    private var tls: String?
    /// The checkpoint key this session holds (from a MAIL with TRANSID to the session's end).
    var claimedCheckpoint: CheckpointKey?
    /// The record that key named when it was claimed.
    var resumable: CheckpointRecord?

    init(mta: MTA, connection: ConnectionInfo, logger: Logger) {
        self.mta = mta
        self.connection = connection
        self.logger = logger
        trustedNetwork = connection.role == .mx
            && mta.configuration.relayNetworks.contains { network in connection.remoteAddress.map { network.contains($0) } ?? false }
    }

    /// Whether mail for other domains is taken from this client.
    private var relayAllowed: Bool {
        account != nil || trustedNetwork
    }

    func mail(from path: ReversePath, parameters: MailParameters) async throws(Reply) {
        recipients = []
        let free: Int
        do {
            free = try await mta.spool.freeSpace()
        } catch {
            logger.error("free space unknown", metadata: ["error": "\(error)"])
            throw Reply.localError
        }
        if free - (parameters.size ?? 0) < mta.configuration.limits.minFreeDisk {
            logger.warning("low disk: refusing mail", metadata: ["free": "\(free)"])
            throw Reply.insufficientStorage
        }
    }

    func recipient(_ path: ForwardPath, parameters: RcptParameters) async throws(Reply) -> Reply {
        let verdict = mta.configuration.local.resolve(path, relayAllowed: relayAllowed)
        switch verdict {
        case .accept(let targets):
            recipients.append(Recipient(path: path, parameters: parameters, targets: targets))
            return .recipientOK
        case .forward(let target):
            let local = mta.configuration.local
            recipients.append(Recipient(path: path, parameters: parameters, targets: [local.target(forwardingTo: target)]))
            return .willForward(target)
        case .relocated, .unknown, .unavailable, .disabled, .relayDenied:
            throw verdict.refusal(naming: Self.text(of: path))!
        }
    }

    func verify(_ request: VerifyRequest) async -> Reply {
        let local = mta.configuration.local
        let mailbox: Mailbox
        switch request {
        case .mailbox(let given): mailbox = given
        case .localPart(let name): mailbox = Mailbox(localPart: name, domain: local.primaryDomain)
        }
        switch local.verify(mailbox, relayAllowed: relayAllowed) {
        case .local(let found): return .verified(found)
        case .forward(let target): return .willForward(target)
        case .relocated(let target): return .relocated(target)
        case .unknown: return .unknownUser(mailbox.description)
        case .unavailable: return .mailboxUnavailable(mailbox.description)
        case .disabled: return .mailboxDisabled(mailbox.description)
        case .cannotVerify: return .cannotVerify
        case .relayDenied: return .verifyRelayDenied(mailbox.description)
        }
    }

    func checkSender(_ sender: ReversePath, account name: String) async throws(Reply) {
        let owner: Account?
        do {
            owner = try await mta.authenticator.account(named: name)
        } catch {
            logger.error("account store unreadable", metadata: ["error": "\(error)"])
            throw Reply.localError
        }
        guard let owner, let mailbox = sender.mailbox else { throw Reply.senderNotOwned(sender, account: name) }
        let local = mta.configuration.local
        let address = "\(mailbox.localPart.lowercased())@\(mailbox.domain.normalized)"
        let ownsByName = mailbox.localPart.lowercased() == owner.name && local.isLocal(mailbox.domain)
        guard ownsByName || owner.addresses.contains(address) else {
            logger.info("sender not owned", metadata: ["account": "\(name)", "from": "\(sender)"])
            throw Reply.senderNotOwned(sender, account: name)
        }
    }

    /// TLS is up: the session starts over, authentication included (docs/behaviour.md §12), so the
    /// relay right of an AUTH done in clear text goes too.
    func tlsEstablished(version: String) async {
        tls = version
        account = nil
    }

    func authenticated(as account: String) async {
        self.account = account
    }

    func beginMessage() async throws(Reply) -> any SMTPMessageSink {
        do {
            return SpoolSink(writer: try await mta.spool.beginMessage(), session: self)
        } catch {
            logger.error("spool unavailable", metadata: ["error": "\(error)"])
            throw Reply.localError
        }
    }

    /// Makes the message durable and returns its queue id for the 250: delivered at once when
    /// every copy is local and the text is still in memory, committed to the spool otherwise
    /// (docs/architecture.md "Local delivery at acceptance").
    func commit(_ writer: any SpoolWriter, _ summary: MessageSummary) async throws(Reply) -> QueueID {
        var envelopeRecipients: [EnvelopeRecipient] = []
        var seen = Set<DeliveryTarget>()
        for recipient in recipients {
            for target in recipient.targets {
                let deliveryTarget = DeliveryTarget(target)
                guard seen.insert(deliveryTarget).inserted else { continue }
                envelopeRecipients.append(EnvelopeRecipient(
                    original: recipient.path, parameters: recipient.parameters, target: deliveryTarget, status: .pending))
            }
        }
        let envelope = Envelope(
            id: writer.id, sender: summary.sender, recipients: envelopeRecipients, parameters: summary.parameters,
            clientName: HelloName.recordable(summary.clientName), clientAddress: connection.remoteAddress?.description ?? "",
            protocolName: summary.protocolName, tls: tls, receivedAt: Date(), size: summary.size)
        var acceptance = AcceptanceDelivery.notDelivered
        if let text = writer.textInMemory, Self.deliverableAtAcceptance(envelope) {
            acceptance = await mta.maildirs.deliverAtAcceptance(envelope, text: text)
        }
        if acceptance == .delivered {
            await writer.abort()
        } else {
            do {
                try await writer.commit(envelope)
            } catch {
                logger.error("spool commit failed", metadata: ["queue_id": "\(writer.id)", "error": "\(error)"])
                throw Reply.localError
            }
        }
        recipients = []
        logger.info("accepted", metadata: [
            "queue_id": "\(writer.id)", "size": "\(summary.size)", "from": "\(summary.sender)",
            "recipients": "\(envelopeRecipients.count)",
        ])
        if acceptance != .delivered { mta.submitted(writer.id, mayHaveLocalCopies: acceptance == .unsure) }
        return writer.id
    }

    /// Whether the queue has nothing to add to a delivery at acceptance: every copy is local,
    /// and no recipient asked for a success report (RFC 3461 NOTIFY=SUCCESS), which the queue sends.
    private static func deliverableAtAcceptance(_ envelope: Envelope) -> Bool {
        envelope.recipients.allSatisfy { recipient in
            guard case .local = recipient.target else { return false }
            return recipient.parameters.notify?.contains(.success) != true
        }
    }

    private static func text(of path: ForwardPath) -> String {
        switch path {
        case .postmaster: "Postmaster"
        case .mailbox(let mailbox): mailbox.description
        }
    }
}

/// Streams a message's text into the spool writer of its session.
struct SpoolSink: SMTPMessageSink {
    let writer: any SpoolWriter
    let session: MTASession

    func write(_ bytes: ByteBuffer) async throws {
        try await writer.append(bytes)
    }

    func commit(_ summary: MessageSummary) async throws(Reply) -> QueueID {
        try await session.commit(writer, summary)
    }

    func abort() async {
        await writer.abort()
    }
}
