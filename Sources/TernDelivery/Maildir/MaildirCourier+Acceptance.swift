import Logging
package import NIOCore
import TernIO
package import TernMessage
import TernSMTPCore

/// How local delivery at acceptance ended (`MaildirCourier.deliverAtAcceptance`).
package enum AcceptanceDelivery: Sendable, Equatable {
    /// Every copy is durable in its `new/`: the message is delivered and needs no spool entry.
    case delivered
    /// No copy was made: the message goes to the spool and the queue delivers it as usual.
    case notDelivered
    /// Some copies may be in `new/`, not all of them durable: the message goes to the spool and
    /// its first local delivery looks for them before writing (`lookingForEarlierCopy`).
    case unsure
}

extension MaildirCourier {
    /// Writes every copy of a message whose whole text is still in memory, before the server
    /// answers 250, so that the message never goes through the spool
    /// (docs/architecture.md "Local delivery at acceptance").
    ///
    /// In one thread-pool hop each copy is written to `tmp/` (trace fields, then the text with
    /// CRLF turned into LF, as `deliver` writes it), then each is fsynced and renamed into
    /// `new/`; then every `new/` folder is fsynced, shared with the other copies renamed into it
    /// meanwhile. A failure before the first rename removes what was written (`.notDelivered`);
    /// a failure after it leaves the renamed copies for the queue to find (`.unsure`). Either
    /// way the caller then commits the message to the spool, and the queue delivers or fails
    /// it with the error it meets.
    ///
    /// - Parameters:
    ///   - envelope: The message's envelope; every recipient is `.local`.
    ///   - text: The message text as received (CRLF line endings).
    package func deliverAtAcceptance(_ envelope: Envelope, text: ByteBuffer) async -> AcceptanceDelivery {
        var copies: [(mailbox: Mailbox, maildir: Maildir, name: String, header: [UInt8])] = []
        for (index, recipient) in envelope.recipients.enumerated() {
            guard let maildir = try? Maildir(of: recipient.target.mailbox, below: mailRoot) else { return .notDelivered }
            let name = MaildirUniqueName.make(for: envelope.id, recipient: index, hostname: hostname)
            let header = Self.header(
                envelope, mailbox: recipient.target.mailbox, recipient: recipient.original, hostname: hostname)
            copies.append((recipient.target.mailbox, maildir, name, header))
        }
        var normalizer = LineEndingNormalizer()
        let body = normalizer.normalize(text) + normalizer.finish()
        let renamed: Int
        do {
            renamed = try await threadPool.runBlocking { [copies] in
                var files: [DurableFile] = []
                do {
                    for copy in copies {
                        let file = try openCopy(copy.name, in: copy.maildir)
                        files.append(file)
                        try file.write(copy.header)
                        try file.write(body)
                    }
                } catch {
                    files.forEach { $0.discard() }
                    throw error
                }
                for (index, file) in files.enumerated() {
                    do {
                        try file.publish(as: "\(copies[index].maildir.path)/new/\(copies[index].name)")
                    } catch {
                        files[(index + 1)...].forEach { $0.discard() }
                        if index == 0 { throw error }
                        return index
                    }
                }
                return files.count
            }
        } catch {
            logger.warning("delivery at acceptance not made", metadata: [
                "queue_id": "\(envelope.id)", "error": "\(error)",
            ])
            return .notDelivered
        }
        let folders = Set(copies[..<renamed].map { "\($0.maildir.path)/new" })
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for folder in folders {
                    group.addTask { try await synchronize(folder) }
                }
                try await group.waitForAll()
            }
        } catch {
            logger.warning("delivery at acceptance not made durable", metadata: [
                "queue_id": "\(envelope.id)", "error": "\(error)",
            ])
            return .unsure
        }
        guard renamed == copies.count else { return .unsure }
        DeliveryMetrics.deliveredAtAcceptance(copies.count, of: envelope)
        for copy in copies {
            logger.info("delivered", metadata: [
                "queue_id": "\(envelope.id)", "to": "\(copy.mailbox)",
                "path": "\(copy.maildir.path)/new/\(copy.name)", "at": "acceptance",
            ])
        }
        return .delivered
    }
}
