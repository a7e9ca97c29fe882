package import Foundation
import NIOConcurrencyHelpers
package import TernMessage
import TernSMTPCore

/// What the spool holds, in memory, for figures asked often (HELP STATUS, docs/behaviour.md
/// §3): per message whether the operator holds it and the domains of its recipients still
/// waiting. Filled by the reading of the queue at start (`all()`), then kept up to date by
/// every commit, update and removal, so the figures never need the envelopes on disk.
package final class SpoolCensus: Sendable {
    /// One message as the census knows it.
    package struct Entry: Sendable, Hashable {
        /// Held by the operator (`tern queue hold`).
        package var held: Bool
        /// The lower-cased domains of the remote recipients without a final status.
        package var waitingDomains: Set<String>
        /// When the deferred recipients are tried again; nil when nothing waits for a retry.
        package var nextAttempt: Date?

        /// The entry of `envelope`.
        package init(_ envelope: Envelope) {
            held = envelope.held
            nextAttempt = envelope.nextAttempt
            waitingDomains = Set(envelope.recipients.compactMap { recipient in
                guard case .remote(let mailbox) = recipient.target, !recipient.status.isFinal else { return nil }
                return mailbox.domain.normalized
            })
        }
    }

    private let entries = NIOLockedValueBox<[QueueID: Entry]>([:])

    /// An empty census.
    package init() {}

    /// The messages now.
    package var all: [Entry] {
        entries.withLockedValue { Array($0.values) }
    }

    /// Records `envelope`, new or changed.
    func record(_ envelope: Envelope) {
        entries.withLockedValue { $0[envelope.id] = Entry(envelope) }
    }

    /// Forgets the message `id`.
    func forget(_ id: QueueID) {
        _ = entries.withLockedValue { $0.removeValue(forKey: id) }
    }
}
