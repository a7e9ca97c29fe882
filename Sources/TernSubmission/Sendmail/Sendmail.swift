#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import NIOCore
import NIOPosix
package import TernConfig
import TernSMTPCore
import TernSMTPServer

/// `tern sendmail`: local programs hand mail to Tern as they would to `/usr/sbin/sendmail`, and
/// it lands in the maildrop of the configured data directory, where the running server (or the
/// next one started) picks it up.
package enum Sendmail {
    /// Does what `options` ask with standard input (and, for `-bs`, standard output).
    ///
    /// - Throws: `SendmailFailure`, whose status is the process's exit status.
    package static func run(_ options: SendmailOptions, configuration: TernConfiguration) async throws(SendmailFailure) {
        let user = LocalUser.current()
        switch options.mode {
        case .deliver:
            _ = try LocalSubmission(configuration: configuration, options: options, user: user)
                .deliver(readingFrom: STDIN_FILENO)
        case .smtp:
            try await serveSMTP(configuration: configuration, user: user)
        }
    }

    /// `-bs`: one SMTP session on standard input and output, each message into the maildrop.
    private static func serveSMTP(configuration: TernConfiguration, user: LocalUser) async throws(SendmailFailure) {
        let maildrop = Maildrop(dataDirectory: configuration.dataDirectory)
        _ = try LocalSubmission.prepare(maildrop)
        // Standard output carries the session: log problems to standard error only.
        let logger = Logger(label: "tern.sendmail") { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        let threadPool = NIOThreadPool(numberOfThreads: 1)
        threadPool.start()
        defer { threadPool.shutdownGracefully { _ in } }
        let delegate = MaildropSMTPDelegate(
            maildrop: maildrop, user: user, minimumFreeSpace: configuration.limits.minFreeDisk, threadPool: threadPool,
            logger: logger)
        let session = ServerSessionConfiguration(
            hostname: configuration.hostname, role: .mx, acceptMail: configuration.acceptMail,
            messageSizeLimit: configuration.limits.messageSize, recipientLimit: configuration.limits.recipients,
            badCommandLimit: configuration.limits.badCommands)
        do {
            try await StandardIOSession.run(
                configuration: SMTPServerConfiguration(
                    host: "localhost", port: 0, session: session, idleTimeout: configuration.limits.idleTimeout),
                delegate: delegate, logger: logger)
        } catch ChannelError.operationUnsupported {
            throw SendmailFailure(.usage, "-bs needs a pipe, a socket or a terminal on standard input and output")
        } catch {
            throw SendmailFailure(.ioError, "SMTP session on standard input failed: \(error)")
        }
    }
}
