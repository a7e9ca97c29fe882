#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
package import Logging
import NIOConcurrencyHelpers
import NIOCore
package import NIOPosix
package import TernIO
package import TernMessage
package import TernSMTPCore
package import TernSpool

/// Delivers local recipients into Maildir folders, `<mailRoot>/<domain>/<localpart>/`.
///
/// Each copy is written to `tmp/`, fsynced, renamed into `new/`, and `new/` is fsynced, so a
/// message appears in `new/` whole or not at all. The fsync of a `new/` folder is shared by
/// the copies renamed into it meanwhile (`GroupCommit`), whether they come from the queue or
/// are written at acceptance (`MaildirCourier+Acceptance.swift`). The file starts with `Return-Path:`,
/// `Delivered-To:` and `Received:` fields, followed by the body as spooled with CRLF turned
/// into LF. Blocking calls run on the thread pool.
///
/// Delivery is idempotent across a crash: every file name carries the queue id and the
/// recipient's place in the envelope (`MaildirUniqueName`), so a delivery retried after the
/// server stopped between the rename and the durable record of the recipient's status finds
/// the copy it made (in `new/`, or in `cur/` with whatever flags a mail client added) instead
/// of writing a second one.
///
/// As a `Courier` it delivers the local recipients and those of `maildir` routes, one after
/// another, and logs each outcome (`MaildirCourier+Courier.swift`).
///
/// SeeAlso: docs/behaviour.md §11; the Maildir format, <https://cr.yp.to/proto/maildir.html>.
package struct MaildirCourier: Sendable {
    /// The directory holding one folder per domain.
    package let mailRoot: String
    /// This server's name, for `Received: by` and the Maildir file names.
    let hostname: String
    let threadPool: NIOThreadPool
    private let operations: any FileOperations
    /// Maildirs made (or found) with all their folders, so later copies skip the six mkdir
    /// calls; one that disappears is made again (`openCopy`).
    private let knownMaildirs = NIOLockedValueBox<Set<String>>([])
    /// One group commit for each `new/` folder written to.
    private let folderSyncs = NIOLockedValueBox<[String: GroupCommit]>([:])
    /// One line per copy written, found, deferred or failed.
    let logger: Logger

    /// A courier writing below `mailRoot`, created if missing, as `hostname`, doing blocking
    /// work on `threadPool`.
    package init(mailRoot: String, hostname: String, threadPool: NIOThreadPool, logger: Logger) {
        self.init(
            mailRoot: mailRoot, hostname: hostname, threadPool: threadPool, logger: logger,
            operations: SystemFileOperations())
    }

    /// A courier whose write, fsync and rename calls go through `operations` (tests inject failures).
    package init(
        mailRoot: String, hostname: String, threadPool: NIOThreadPool, logger: Logger, operations: any FileOperations
    ) {
        self.mailRoot = mailRoot
        self.hostname = hostname
        self.threadPool = threadPool
        self.logger = logger
        self.operations = operations
    }

    /// Writes one copy of a spooled message into the Maildir of `mailbox`, or finds the one an
    /// interrupted earlier attempt made.
    ///
    /// - Parameters:
    ///   - envelope: The message's envelope, for the trace fields.
    ///   - recipient: The recipient's index in `envelope.recipients`; its forward path as given
    ///     at RCPT goes into `Received: ... for <...>`.
    ///   - mailbox: The local mailbox, which names the folder (lower-cased).
    ///   - body: The stored body.
    ///   - lookingForEarlierCopy: Whether an attempt for this recipient may have been under way
    ///     when the server stopped: then `new/` and `cur/` are searched first.
    /// - Returns: The copy, written now or found.
    /// - Throws: `MaildirDeliveryError` when delivery can never work, `FileSystemError` for a
    ///   temporary failure, `CancellationError` if the task was cancelled; the partly written
    ///   file is removed in every case.
    package func deliver(
        _ envelope: Envelope, recipient index: Int, to mailbox: Mailbox, body: SpoolBody, lookingForEarlierCopy: Bool = false
    ) async throws -> MaildirCopy {
        let maildir = try Maildir(of: mailbox, below: mailRoot)
        if lookingForEarlierCopy,
            let earlier = try await threadPool.runBlocking({
                try MaildirUniqueName.findCopy(of: envelope.id, recipient: index, in: maildir.path)
            })
        {
            // The attempt that made it may have stopped before its folder's fsync.
            try await synchronize(Posix.parentDirectory(of: earlier))
            return .found(earlier)
        }
        let name = MaildirUniqueName.make(for: envelope.id, recipient: index, hostname: hostname)
        let final = "\(maildir.path)/new/\(name)"
        let header = Self.header(
            envelope, mailbox: mailbox, recipient: envelope.recipients[index].original, hostname: hostname)

        let file = try await threadPool.runBlocking { try openCopy(name, in: maildir) }
        do {
            try await write(header, to: file)
            var normalizer = LineEndingNormalizer()
            for try await chunk in body {
                try Task.checkCancellation()
                try await write(normalizer.normalize(chunk), to: file)
            }
            try Task.checkCancellation()
            try await write(normalizer.finish(), to: file)
        } catch {
            try? await threadPool.runBlocking { file.discard() }
            throw error
        }
        try await threadPool.runBlocking { try file.publish(as: final) }
        do {
            try await synchronize("\(maildir.path)/new")
        } catch {
            // Not durable, so not delivered: take it back and let the retry write it again.
            try? await threadPool.runBlocking { Posix.removeIfPresent(final) }
            throw error
        }
        return .written(final)
    }

    /// Fsyncs `folder` (a Maildir's `new/` or `cur/`), one fsync for every copy renamed into it
    /// meanwhile.
    func synchronize(_ folder: String) async throws {
        let group = folderSyncs.withLockedValue { syncs in
            if let group = syncs[folder] { return group }
            let (threadPool, operations) = (threadPool, operations)
            let group = GroupCommit {
                try await threadPool.runBlocking { try Posix.syncDirectory(folder, operations: operations) }
            }
            syncs[folder] = group
            return group
        }
        try await group.commit()
    }

    private func write(_ bytes: [UInt8], to file: DurableFile) async throws {
        guard !bytes.isEmpty else { return }
        try await threadPool.runBlocking { try file.write(bytes) }
    }

    // Creates the copy's temporary file `tmp/<name>`, the Maildir's folders first unless they
    // are known to exist; when a known Maildir has gone (removed by an operator), it is made
    // again. Runs on the thread pool.
    func openCopy(_ name: String, in maildir: Maildir) throws -> DurableFile {
        let temporary = "\(maildir.path)/tmp/\(name)"
        if !knownMaildirs.withLockedValue({ $0.contains(maildir.path) }) {
            try Self.makeDirectories(maildir.folders(below: mailRoot), operations: operations)
            knownMaildirs.withLockedValue { _ = $0.insert(maildir.path) }
            return try DurableFile(creating: temporary, operations: operations)
        }
        do {
            return try DurableFile(creating: temporary, operations: operations)
        } catch let error as FileSystemError where error.code == ENOENT {
            try Self.makeDirectories(maildir.folders(below: mailRoot), operations: operations)
            return try DurableFile(creating: temporary, operations: operations)
        }
    }

    // Creates each missing directory (mode 0700), outermost first, and fsyncs its parent so
    // the folder survives a crash together with the message in it.
    private static func makeDirectories(_ directories: [String], operations: any FileOperations) throws {
        for directory in directories where try Posix.makeDirectory(directory) {
            try Posix.syncDirectory(Posix.parentDirectory(of: directory), operations: operations)
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
