import Logging
import TernConfig
import TernDelivery
import TernMessage
import TernSMTPCore
import TernSMTPServer
import TernSpool

/// The MTA as the SMTP servers' delegate: one `MTASession` per connection, over a shared
/// spool and queue runner.
final class MTA: SMTPServerDelegate {
    let configuration: TernConfiguration
    let spool: any SpoolStore & CheckpointSpool
    let runner: QueueRunner
    /// Writes local copies at acceptance (`MTASession.commit`); the runner's local courier.
    let maildirs: MaildirCourier
    let tracker: ConnectionTracker
    let authenticator: AccountAuthenticator
    /// Checkpointed transactions (RFC 1845) and the sessions holding them.
    let checkpoints: CheckpointRegistry
    let logger: Logger

    init(
        configuration: TernConfiguration, spool: any SpoolStore & CheckpointSpool, runner: QueueRunner,
        maildirs: MaildirCourier, tracker: ConnectionTracker, authenticator: AccountAuthenticator,
        checkpoints: CheckpointRegistry, logger: Logger
    ) {
        self.configuration = configuration
        self.spool = spool
        self.runner = runner
        self.maildirs = maildirs
        self.tracker = tracker
        self.authenticator = authenticator
        self.checkpoints = checkpoints
        self.logger = logger
    }

    func session(for connection: ConnectionInfo) async throws(Reply) -> any SMTPSessionHandler {
        var logger = logger
        logger[metadataKey: "session"] = "\(connection.id)"
        return MTASession(mta: self, connection: connection, logger: logger)
    }

    func status(_ server: ServerStatus) async -> ServerStatus {
        let counts = (try? await runner.control.statusCounts()) ?? (queued: 0, held: 0)
        return ServerStatus(acceptingMail: configuration.acceptMail, sessions: tracker.count,
                            queuedMessages: counts.queued, heldMessages: counts.held)
    }

    /// A message was committed: hand it to the queue runner (`mayHaveLocalCopies`:
    /// `QueueRunner.submitted`).
    func submitted(_ id: QueueID, mayHaveLocalCopies: Bool = false) {
        runner.submitted(id, mayHaveLocalCopies: mayHaveLocalCopies)
    }
}
