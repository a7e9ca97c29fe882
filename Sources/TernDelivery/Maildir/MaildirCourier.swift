import NIOCore
import NIOPosix
import TernSMTPCore
import TernSpool

/// Delivers local recipients into Maildir folders, `<mailRoot>/<domain>/<localpart>/`.
///
/// Each copy is written to `tmp/`, fsynced, renamed into `new/`, and `new/` is fsynced, so a
/// message appears in `new/` whole or not at all. The file starts with `Return-Path:`,
/// `Delivered-To:` and `Received:` fields, followed by the body as spooled with CRLF turned
/// into LF. Blocking calls run on the thread pool.
///
/// SeeAlso: docs/behaviour.md §11; the Maildir format, <https://cr.yp.to/proto/maildir.html>.
public struct MaildirCourier: Sendable {
    /// The directory holding one folder per domain.
    public let mailRoot: String
    private let threadPool: NIOThreadPool

    /// A courier writing below `mailRoot`, created if missing, doing blocking work on `threadPool`.
    public init(mailRoot: String, threadPool: NIOThreadPool) {
        self.mailRoot = mailRoot
        self.threadPool = threadPool
    }

    /// Writes one copy of a spooled message into the Maildir of `mailbox`.
    ///
    /// - Parameters:
    ///   - envelope: The message's envelope, for the trace fields.
    ///   - mailbox: The local mailbox, which names the folder (lower-cased).
    ///   - recipient: The forward path as given at RCPT, for `Received: ... for <recipient>`.
    ///   - body: The stored body.
    ///   - hostname: This server's name, for `Received: by` and the Maildir file name.
    /// - Returns: The path of the new file in `new/`.
    /// - Throws: `MaildirDeliveryError` when delivery can never work, `FileSystemError` for a
    ///   temporary failure, `CancellationError` if the task was cancelled; the partly written
    ///   file is removed in every case.
    public func deliver(
        _ envelope: Envelope, to mailbox: Mailbox, for recipient: ForwardPath, body: SpoolBody,
        receivedBy hostname: String
    ) async throws -> String {
        guard let domainFolder = MaildirFolderName.make(mailbox.domain.normalized),
            let userFolder = MaildirFolderName.make(mailbox.localPart)
        else { throw MaildirDeliveryError.unusableMailboxName(mailbox.description) }
        let domain = "\(mailRoot)/\(domainFolder)"
        let maildir = "\(domain)/\(userFolder)"
        let name = MaildirUniqueName.make(hostname: hostname)
        let temporary = "\(maildir)/tmp/\(name)"
        let final = "\(maildir)/new/\(name)"
        let header = Self.header(envelope, mailbox: mailbox, recipient: recipient, hostname: hostname)
        let directories = [mailRoot, domain, maildir, "\(maildir)/tmp", "\(maildir)/new", "\(maildir)/cur"]

        let descriptor = try await threadPool.runBlocking {
            try Self.makeDirectories(directories)
            return try Posix.open(temporary, Posix.createExclusive)
        }
        do {
            try await write(header, to: descriptor, path: temporary)
            var normalizer = LineEndingNormalizer()
            for try await chunk in body {
                try Task.checkCancellation()
                try await write(normalizer.normalize(chunk), to: descriptor, path: temporary)
            }
            try Task.checkCancellation()
            try await write(normalizer.finish(), to: descriptor, path: temporary)
            try await threadPool.runBlocking { try SystemFileOperations().fsync(descriptor, path: temporary) }
        } catch {
            try? await threadPool.runBlocking {
                Posix.close(descriptor)
                Posix.removeIfPresent(temporary)
            }
            throw error
        }
        try await threadPool.runBlocking {
            Posix.close(descriptor)
            let operations = SystemFileOperations()
            do {
                try operations.rename(temporary, to: final)
            } catch {
                Posix.removeIfPresent(temporary)
                throw error
            }
            do {
                try Posix.syncDirectory("\(maildir)/new", operations: operations)
            } catch {
                // Not durable, so not delivered: take it back and let the retry write it again.
                Posix.removeIfPresent(final)
                throw error
            }
        }
        return final
    }

    private func write(_ bytes: [UInt8], to descriptor: CInt, path: String) async throws {
        guard !bytes.isEmpty else { return }
        try await threadPool.runBlocking {
            try bytes.withUnsafeBytes { try SystemFileOperations().write(descriptor, $0, path: path) }
        }
    }

    // Creates each missing directory (mode 0700), outermost first, and fsyncs its parent so
    // the folder survives a crash together with the message in it.
    private static func makeDirectories(_ directories: [String]) throws {
        let operations = SystemFileOperations()
        for directory in directories where try Posix.makeDirectory(directory) {
            let slash = directory.lastIndex(of: "/")
            let parent = slash.map { $0 == directory.startIndex ? "/" : String(directory[..<$0]) } ?? "."
            try Posix.syncDirectory(parent, operations: operations)
        }
    }

    /// The trace fields put before the body (docs/behaviour.md §11, RFC 5321 §4.4).
    static func header(_ envelope: Envelope, mailbox: Mailbox, recipient: ForwardPath, hostname: String) -> [UInt8] {
        let text = "Return-Path: \(TraceFields.headerSafe(envelope.sender.description))\n"
            + "Delivered-To: \(TraceFields.headerSafe(mailbox.description))\n"
            + TraceFields.received(envelope, for: recipient, hostname: hostname, lineEnding: "\n")
        return Array(text.utf8)
    }
}
