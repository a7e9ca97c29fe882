#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
package import Logging
import NIOConcurrencyHelpers
import NIOCore
package import NIOPosix
import ServiceLifecycle
import TernIO
package import TernMessage
package import TernPolicy
package import TernSMTPCore
package import TernSpool

/// Moves what `tern sendmail` left in the maildrop into the spool (Postfix's pickup).
///
/// At start it picks up every complete file; afterwards it looks at the folder every
/// `pollInterval` until graceful shutdown, which it honours between two files. For each file
/// the text is streamed into a new spool message, the envelope is committed, and only then is
/// the file deleted: a crash in between queues the message twice rather than losing it. A
/// file that won't parse goes to `corrupt/`; a spool failure leaves the file for a later try,
/// after `retryDelay`.
///
/// Recipients are resolved as on an authenticated session (`LocalRecipients.resolve` with relay
/// allowed): one that SMTP would refuse is recorded as failed with the reply SMTP would give,
/// so that the queue reports it to the sender.
///
/// Every local user may write into the maildrop, so the file's owner, not its header, says who
/// submitted it: what root or the server's own user wrote is taken as recorded; for anyone
/// else the user and uid are the owner's, and a sender other than that user's own address
/// (`user@hostname`) is replaced by it (only trusted users may set another one with `-f`). A
/// text over `limits.message_size` is quarantined.
package final class MaildropPickup: Service {
    /// What one pass over the folder did.
    package struct Sweep: Hashable, Sendable {
        /// Files moved into the spool.
        package var pickedUp = 0
        /// Files moved to `corrupt/`.
        package var quarantined = 0
        /// Whether a file was left for a later try after a failure.
        package var failed = false

        /// A pass's counts.
        package init(pickedUp: Int = 0, quarantined: Int = 0, failed: Bool = false) {
            self.pickedUp = pickedUp
            self.quarantined = quarantined
            self.failed = failed
        }
    }

    private enum Outcome {
        case pickedUp, quarantined, gone, failed
    }

    private let maildrop: Maildrop
    private let hostname: String
    private let messageSizeLimit: Int
    private let spool: any SpoolStore
    private let recipients: LocalRecipients
    private let threadPool: NIOThreadPool
    private let logger: Logger
    private let pollInterval: Duration
    private let retryDelay: Duration
    private let submitted: @Sendable (QueueID) -> Void
    /// Files already in the spool whose deletion failed: never picked up a second time.
    private let spooledButPresent = NIOLockedValueBox<Set<String>>([])

    /// A pickup for the maildrop folder `maildropDirectory` (see `Maildrop(dataDirectory:)`).
    ///
    /// - Parameters:
    ///   - maildropDirectory: the folder, created at start if missing.
    ///   - hostname: the host name local users' own addresses are at.
    ///   - messageSizeLimit: the longest message text taken (`limits.message_size`).
    ///   - spool: where messages go; it must be recovered before `run()`.
    ///   - recipients: the local recipient tables.
    ///   - threadPool: a started pool for the blocking file calls.
    ///   - logger: one line per file picked up or quarantined.
    ///   - pollInterval: how often the folder is read.
    ///   - retryDelay: the pause after a spool failure.
    ///   - submitted: told each committed queue id (the queue runner's `submitted(_:)`).
    package init(
        maildropDirectory: String, hostname: String, messageSizeLimit: Int, spool: any SpoolStore,
        recipients: LocalRecipients, threadPool: NIOThreadPool,
        logger: Logger, pollInterval: Duration = .milliseconds(500), retryDelay: Duration = .seconds(10),
        submitted: @escaping @Sendable (QueueID) -> Void
    ) {
        maildrop = Maildrop(directory: maildropDirectory)
        self.hostname = hostname
        self.messageSizeLimit = messageSizeLimit
        self.spool = spool
        self.recipients = recipients
        self.threadPool = threadPool
        self.logger = logger
        self.pollInterval = pollInterval
        self.retryDelay = retryDelay
        self.submitted = submitted
    }

    /// Picks up files until graceful shutdown or cancellation. Throws if the folder can't be
    /// created.
    package func run() async throws {
        let maildrop = maildrop
        try await threadPool.runBlocking { try maildrop.prepare() }
        logger.info("maildrop pickup started", metadata: ["directory": "\(maildrop.directory)"])
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let pause = await sweep().failed ? retryDelay : pollInterval
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
        }
        logger.info("maildrop pickup stopped")
    }

    /// Picks up every complete file in the folder now, oldest first, stopping early at
    /// graceful shutdown or after a spool failure.
    package func sweep() async -> Sweep {
        var sweep = Sweep()
        let maildrop = maildrop
        let names: [String]
        do {
            names = try await threadPool.runBlocking { try maildrop.pending() }
        } catch {
            logger.error("cannot read the maildrop folder", metadata: ["error": "\(error)"])
            sweep.failed = true
            return sweep
        }
        for name in names {
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            switch await pickUp(name) {
            case .pickedUp: sweep.pickedUp += 1
            case .quarantined: sweep.quarantined += 1
            case .gone: continue
            case .failed:
                sweep.failed = true
                return sweep
            }
        }
        return sweep
    }

    // MARK: One file

    private func pickUp(_ name: String) async -> Outcome {
        var logger = logger
        logger[metadataKey: "maildrop_file"] = "\(name)"
        if spooledButPresent.withLockedValue({ $0.contains(name) }) {
            return await remove(name, logger: logger) ? .gone : .failed
        }
        let maildrop = maildrop
        let (message, header): (MaildropMessage, MaildropHeader)
        do {
            // The owner's name comes from the user database, which may block: on the pool too.
            (message, header) = try await threadPool.runBlocking { [hostname] in
                let message = try maildrop.open(name)
                return (message, Self.believed(message.header, owner: message.owner, hostname: hostname))
            }
            guard message.textSize <= messageSizeLimit else { throw MaildropError.tooLarge(messageSizeLimit) }
        } catch let error as MaildropError {
            return await quarantine(name, reason: error, logger: logger)
        } catch let error as FileSystemError where error.code == ENOENT {
            return .gone
        } catch {
            logger.error("cannot read maildrop file", metadata: ["error": "\(error)"])
            return .failed
        }
        if header.sender != message.header.sender {
            logger.warning("sender replaced: only root and the server's user may set it", metadata: [
                "user": "\(header.user)", "uid": "\(header.uid)", "given": "\(message.header.sender)",
            ])
        }
        let envelopeRecipients = Self.envelopeRecipients(for: header.recipients, in: recipients)

        let writer: any SpoolWriter
        do {
            writer = try await spool.beginMessage()
        } catch {
            logger.error("spool unavailable", metadata: ["error": "\(error)"])
            return .failed
        }
        var eightBit = false
        do {
            var offset = 0
            while true {
                let start = offset
                guard let chunk = try await threadPool.runBlocking({ try message.readText(at: start) }) else { break }
                offset += chunk.readableBytes
                if !eightBit { eightBit = chunk.readableBytesView.contains { $0 >= 0x80 } }
                try await writer.append(chunk)
            }
            var parameters = MailParameters()
            parameters.body = eightBit ? .eightBitMIME : nil
            parameters.smtpUTF8 = header.sender.mailbox?.isInternationalized == true
                || header.recipients.contains { path in
                    if case .mailbox(let mailbox) = path { return mailbox.isInternationalized }
                    return false
                }
            try await writer.commit(Envelope(
                id: writer.id, sender: header.sender, recipients: envelopeRecipients, parameters: parameters,
                clientName: Self.clientName(header), clientAddress: "127.0.0.1", protocolName: "local",
                receivedAt: header.arrivedAt))
        } catch {
            await writer.abort()
            logger.error("cannot spool maildrop file", metadata: ["error": "\(error)"])
            return .failed
        }
        logger.info("picked up", metadata: [
            "queue_id": "\(writer.id)", "user": "\(header.user)", "from": "\(header.sender)",
            "size": "\(writer.size)", "recipients": "\(envelopeRecipients.count)",
        ])
        submitted(writer.id)
        if !(await remove(name, logger: logger)) {
            spooledButPresent.withLockedValue { _ = $0.insert(name) }
        }
        return .pickedUp
    }

    private func remove(_ name: String, logger: Logger) async -> Bool {
        let maildrop = maildrop
        do {
            try await threadPool.runBlocking { try maildrop.remove(name) }
            spooledButPresent.withLockedValue { _ = $0.remove(name) }
            return true
        } catch let error as FileSystemError where error.code == ENOENT {
            spooledButPresent.withLockedValue { _ = $0.remove(name) }
            return true
        } catch {
            logger.error("cannot delete picked-up maildrop file", metadata: ["error": "\(error)"])
            return false
        }
    }

    private func quarantine(_ name: String, reason: MaildropError, logger: Logger) async -> Outcome {
        let maildrop = maildrop
        do {
            try await threadPool.runBlocking { try maildrop.quarantine(name) }
        } catch {
            logger.error("cannot quarantine maildrop file", metadata: ["reason": "\(reason)", "error": "\(error)"])
            return .failed
        }
        logger.error("maildrop file quarantined", metadata: [
            "reason": "\(reason)", "path": "\(maildrop.corruptDirectory)/\(name)",
        ])
        return .quarantined
    }

    // MARK: Envelope

    /// The header as the pickup believes it, for a file owned by `owner`: as written when root
    /// or this server's user wrote it; otherwise the owner's name and uid, and the sender the
    /// owner's own address unless it already was.
    package static func believed(_ header: MaildropHeader, owner: UInt32, hostname: String) -> MaildropHeader {
        guard owner != 0, owner != UInt32(geteuid()) else { return header }
        let user = LocalUser(uid: owner)
        var believed = header
        believed.user = user.name
        believed.uid = user.uid
        let own = ReversePath.mailbox(Mailbox(localPart: user.name, domain: .name(hostname)))
        if header.sender != own { believed.sender = own }
        return believed
    }

    /// The trace's client: no network was involved, so the name says who submitted the message.
    package static func clientName(_ header: MaildropHeader) -> String {
        "localhost (user \(header.user) uid \(header.uid))"
    }

    /// The spool recipients for `paths`: the targets SMTP would accept, pending and without
    /// duplicates; each refused path once, failed with the reply SMTP would give.
    package static func envelopeRecipients(for paths: [ForwardPath], in local: LocalRecipients) -> [EnvelopeRecipient] {
        var result: [EnvelopeRecipient] = []
        var seen = Set<DeliveryTarget>()
        func add(_ path: ForwardPath, _ target: DeliveryTarget, _ status: RecipientStatus) {
            guard seen.insert(target).inserted else { return }
            result.append(EnvelopeRecipient(original: path, target: target, status: status))
        }
        for path in paths {
            let mailbox: Mailbox
            switch path {
            case .postmaster: mailbox = Mailbox(localPart: "postmaster", domain: local.primaryDomain)
            case .mailbox(let given): mailbox = given
            }
            let verdict = local.resolve(path, relayAllowed: true)
            switch verdict {
            case .accept(let targets):
                for target in targets { add(path, DeliveryTarget(target), .pending) }
            case .forward(let target):
                add(path, DeliveryTarget(local.target(forwardingTo: target)), .pending)
            case .relocated, .unknown, .unavailable, .disabled, .relayDenied:
                let reply = verdict.refusal(naming: mailbox.description)!
                add(path, local.isLocal(mailbox.domain) ? .local(mailbox) : .remote(mailbox),
                    .failed(reply.description))
            }
        }
        return result
    }
}
