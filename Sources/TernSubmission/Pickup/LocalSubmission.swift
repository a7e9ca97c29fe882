#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
package import Foundation
package import TernConfig
import TernIO
import TernMessage
import TernPolicy
package import TernSMTPCore

/// `tern sendmail` in its default mode (`-bm`): reads one message from standard input and
/// leaves it in the maildrop, whether or not the server runs (docs/configuration.md "Command line").
///
/// The text is written as it is read; only the header section is held until it is complete
/// (`SubmissionHeaderSection`). The sender is `-f`, else the user at the configured host name;
/// bare names are qualified, recipients with the primary local domain, senders with the host
/// name. A `From:` field the message lacks is added with the `-F` full name, and so are
/// `Date:` and `Message-ID:`.
package struct LocalSubmission: Sendable {
    /// The octets read from standard input at a time.
    package static let readSize = 64 * 1024

    private let configuration: TernConfiguration
    private let options: SendmailOptions
    private let user: LocalUser
    private let arrivedAt: Date

    /// A submission by `user`, as `options` ask, into the maildrop of `configuration`.
    package init(configuration: TernConfiguration, options: SendmailOptions, user: LocalUser, arrivedAt: Date = Date()) {
        self.configuration = configuration
        self.options = options
        self.user = user
        self.arrivedAt = arrivedAt
    }

    /// The sender: `-f`, or the user at the host name. Another sender than the user's own
    /// address is for trusted users only: root and the owner of the maildrop folder (the
    /// server's user), `folderOwner`.
    package func sender(folderOwner: UInt32) throws(SendmailFailure) -> ReversePath {
        guard let given = options.sender else { return .mailbox(userAddress) }
        guard let sender = SubmissionAddress.sender(given, defaultDomain: .name(configuration.hostname)) else {
            throw SendmailFailure(.dataError, "malformed sender address: \(given)")
        }
        guard sender == .mailbox(userAddress) || user.uid == 0 || user.uid == folderOwner else {
            throw SendmailFailure(
                .noPermission, "only root and the owner of \(configuration.dataDirectory) may set the sender (-f \(given))")
        }
        return sender
    }

    /// The recipients of the command line, qualified, duplicates dropped.
    package func recipients(_ texts: [String]) throws(SendmailFailure) -> [ForwardPath] {
        var paths: [ForwardPath] = []
        for text in texts {
            guard let mailboxes = SubmissionAddress.recipients(text, defaultDomain: configuration.local.primaryDomain)
            else { throw SendmailFailure(.dataError, "malformed recipient address: \(text)") }
            for path in mailboxes.map(ForwardPath.mailbox) where !paths.contains(path) {
                paths.append(path)
            }
        }
        return paths
    }

    /// Reads the message from `input` until its end (or a line with a single `.`, without
    /// `-i`) and commits it to the maildrop; returns the id of the maildrop file.
    package func deliver(readingFrom input: CInt) throws(SendmailFailure) -> QueueID {
        let given = try recipients(options.recipients)
        guard options.extractRecipients || !given.isEmpty else { throw SendmailFailure(.usage, "no recipients") }
        let maildrop = Maildrop(dataDirectory: configuration.dataDirectory)
        let folderOwner = try Self.prepare(maildrop)
        let sender = try sender(folderOwner: folderOwner)
        try checkFreeSpace(maildrop)

        var normalizer = SubmissionNormalizer(ignoreDots: options.ignoreDots)
        var header = SubmissionHeaderSection(
            extractRecipients: options.extractRecipients, addedFields: addedFields(sender: sender))
        var writer: MaildropWriter?
        defer { writer?.abort() }
        func store(_ text: [UInt8]) throws(SendmailFailure) {
            guard header.isComplete else { return }
            if writer == nil {
                writer = try create(in: maildrop, sender: sender, recipients: given, extracted: header.recipients)
            }
            do {
                try writer?.append(text)
            } catch {
                throw SendmailFailure(.temporaryFailure, "cannot write the maildrop file: \(error)")
            }
            if let size = writer?.size, size > configuration.limits.messageSize {
                throw SendmailFailure(.dataError, "message larger than \(configuration.limits.messageSize) octets")
            }
        }

        var chunk = [UInt8](repeating: 0, count: Self.readSize)
        while !normalizer.ended {
            let count = chunk.withUnsafeMutableBytes { buffer in
                Posix.retryingInterrupts { read(input, buffer.baseAddress, buffer.count) }
            }
            if count < 0 {
                throw SendmailFailure(.ioError, "cannot read standard input: \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            let text = chunk.withUnsafeBytes { normalizer.normalize(UnsafeRawBufferPointer(rebasing: $0.prefix(count))) }
            let output: [UInt8]
            do {
                output = try header.process(text)
            } catch {
                throw SendmailFailure(.dataError, "\(error)")
            }
            try store(output)
        }
        let tail: [UInt8]
        do {
            tail = try header.process(normalizer.finish()) + header.finish()
        } catch {
            throw SendmailFailure(.dataError, "\(error)")
        }
        try store(tail)
        guard let finished = writer else { preconditionFailure("a complete header section creates the file") }
        do {
            try finished.commit()
        } catch {
            throw SendmailFailure(.temporaryFailure, "cannot commit the maildrop file: \(error)")
        }
        return finished.id
    }

    // MARK: Helpers

    /// Opens (or, for root and the server's user, creates) the maildrop folder; returns its
    /// owner. A user the folder is not open to yet is told why and what makes it so.
    package static func prepare(_ maildrop: Maildrop) throws(SendmailFailure) -> UInt32 {
        do {
            try maildrop.prepare()
            return UInt32(try maildrop.folderOwner())
        } catch let error as FileSystemError where [EACCES, EPERM].contains(error.code) {
            throw SendmailFailure(
                .cannotCreate,
                "cannot reach the maildrop folder \(maildrop.directory) (\(error)): the server opens it to every local "
                    + "user when it starts, so start `tern serve` once, or run this as root or as the owner of the data directory")
        } catch {
            throw SendmailFailure(.cannotCreate, "cannot create the maildrop folder: \(error)")
        }
    }

    private var userAddress: Mailbox {
        Mailbox(localPart: user.name, domain: .name(configuration.hostname))
    }

    private func create(
        in maildrop: Maildrop, sender: ReversePath, recipients given: [ForwardPath], extracted: [String]
    ) throws(SendmailFailure) -> MaildropWriter {
        var all = given
        for path in try recipients(extracted) where !all.contains(path) {
            all.append(path)
        }
        guard !all.isEmpty else { throw SendmailFailure(.usage, "no recipients") }
        let header = MaildropHeader(sender: sender, recipients: all, user: user.name, uid: user.uid, arrivedAt: arrivedAt)
        do {
            return try maildrop.create(header)
        } catch let error as FileSystemError where ![ENOSPC, EDQUOT, EIO, EINTR].contains(error.code) {
            throw SendmailFailure(.cannotCreate, "cannot create a maildrop file: \(error)")
        } catch {
            throw SendmailFailure(.temporaryFailure, "cannot write a maildrop file: \(error)")
        }
    }

    private func checkFreeSpace(_ maildrop: Maildrop) throws(SendmailFailure) {
        let free: Int
        do {
            free = try Posix.availableSpace(maildrop.directory)
        } catch {
            throw SendmailFailure(.temporaryFailure, "cannot tell the free disk space: \(error)")
        }
        guard free >= configuration.limits.minFreeDisk else {
            throw SendmailFailure(.temporaryFailure, "insufficient disk space for the maildrop")
        }
    }

    // From:, Date: and Message-ID:, added when the message lacks them.
    private func addedFields(sender: ReversePath) -> [(name: String, value: String)] {
        let address = sender.mailbox ?? userAddress
        let from = options.fullName.flatMap { $0.isEmpty ? nil : "\(DisplayName.phrase($0)) <\(address)>" } ?? "\(address)"
        return [
            ("From", from),
            ("Date", UTCTimestamp(arrivedAt).rfc5322),
            ("Message-ID", "<\(QueueID(date: arrivedAt)).\(user.uid)@\(configuration.hostname)>"),
        ]
    }
}
