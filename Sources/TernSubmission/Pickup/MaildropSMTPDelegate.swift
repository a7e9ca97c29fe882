import Foundation
package import Logging
package import NIOCore
package import NIOPosix
import TernIO
import TernMessage
package import TernSMTPCore
package import TernSMTPServer

/// The owner of the `sendmail -bs` session: every message goes into the maildrop, for the
/// server's pickup, as with `-bm`.
///
/// Senders and recipients are taken as given, as `-bm` takes them from the command line: the
/// pickup resolves the recipients and the queue reports those it can't deliver. Only the free
/// disk space is checked at `MAIL` (452 4.3.1 below `limits.min_free_disk`).
package final class MaildropSMTPDelegate: SMTPServerDelegate {
    package let maildrop: Maildrop
    package let user: LocalUser
    package let minimumFreeSpace: Int
    package let threadPool: NIOThreadPool
    package let logger: Logger

    package init(maildrop: Maildrop, user: LocalUser, minimumFreeSpace: Int, threadPool: NIOThreadPool, logger: Logger) {
        self.maildrop = maildrop
        self.user = user
        self.minimumFreeSpace = minimumFreeSpace
        self.threadPool = threadPool
        self.logger = logger
    }

    package func session(for connection: ConnectionInfo) async throws(Reply) -> any SMTPSessionHandler {
        MaildropSMTPSession(delegate: self)
    }

    package func status(_ server: ServerStatus) async -> ServerStatus {
        let maildrop = maildrop
        let waiting = (try? await threadPool.runBlocking { try maildrop.pending().count }) ?? 0
        return ServerStatus(acceptingMail: true, sessions: 1, queuedMessages: waiting, heldMessages: 0)
    }
}

/// One `sendmail -bs` session: the envelope of the current transaction, written as the
/// maildrop header when the text begins.
package actor MaildropSMTPSession: SMTPSessionHandler {
    private let delegate: MaildropSMTPDelegate
    private var sender: ReversePath = .null
    private var recipients: [ForwardPath] = []

    package init(delegate: MaildropSMTPDelegate) {
        self.delegate = delegate
    }

    package func mail(from path: ReversePath, parameters: MailParameters) async throws(Reply) {
        (sender, recipients) = (path, [])
        let directory = delegate.maildrop.directory
        let free: Int
        do {
            free = try await delegate.threadPool.runBlocking { try Posix.availableSpace(directory) }
        } catch {
            delegate.logger.error("free space unknown", metadata: ["error": "\(error)"])
            throw Reply.localError
        }
        if free - (parameters.size ?? 0) < delegate.minimumFreeSpace {
            throw Reply.insufficientStorage
        }
    }

    package func recipient(_ path: ForwardPath, parameters: RcptParameters) async throws(Reply) -> Reply {
        if !recipients.contains(path) { recipients.append(path) }
        return .recipientOK
    }

    package func verify(_ request: VerifyRequest) async -> Reply {
        .cannotVerify
    }

    package func beginMessage() async throws(Reply) -> any SMTPMessageSink {
        let header = MaildropHeader(
            sender: sender, recipients: recipients, user: delegate.user.name, uid: delegate.user.uid, arrivedAt: Date())
        let maildrop = delegate.maildrop
        do {
            let writer = try await delegate.threadPool.runBlocking { try maildrop.create(header) }
            return MaildropSink(writer: writer, threadPool: delegate.threadPool, logger: delegate.logger)
        } catch {
            delegate.logger.error("cannot create a maildrop file", metadata: ["error": "\(error)"])
            throw Reply.localError
        }
    }
}

/// Writes the text of one `-bs` message into its maildrop file.
package struct MaildropSink: SMTPMessageSink {
    package let writer: MaildropWriter
    package let threadPool: NIOThreadPool
    package let logger: Logger

    package func write(_ bytes: ByteBuffer) async throws {
        let writer = writer
        try await threadPool.runBlocking { try bytes.withUnsafeReadableBytes { try writer.append($0) } }
    }

    package func commit(_ summary: MessageSummary) async throws(Reply) -> QueueID {
        let writer = writer
        do {
            try await threadPool.runBlocking { try writer.commit() }
        } catch {
            logger.error("cannot commit the maildrop file", metadata: ["error": "\(error)"])
            throw Reply.localError
        }
        return writer.id
    }

    package func abort() async {
        let writer = writer
        try? await threadPool.runBlocking { writer.abort() }
    }
}
