import ArgumentParser
import TernMessage
import TernSMTPCore

extension QueueCommand {
    /// A queue id on the command line; a malformed one is a usage error (exit 64).
    struct MessageID: ExpressibleByArgument {
        let id: QueueID

        init?(argument: String) {
            guard let id = QueueID(spoolFormat: argument) else { return nil }
            self.id = id
        }
    }
}
