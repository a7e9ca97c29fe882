import Foundation
import TernMessage
import TernPolicy
import TernSMTPCore

/// Mail held for ETRN and ATRN nodes (docs/behaviour.md §14, §15; docs/configuration.md
/// `[delivery]`), as the scheduler, the attempt, the reports and `tern queue` see it.
extension DeliverySettings {
    /// The hold domain `recipient` waits for, lower-cased; nil when its mail is not held.
    func heldDomain(of recipient: EnvelopeRecipient) -> String? {
        guard case .remote(let mailbox) = recipient.target, isHeld(mailbox.domain) else { return nil }
        return mailbox.domain.normalized
    }

    /// When the held recipients of `envelope` fail: `hold_lifetime` after it arrived.
    func holdExpiry(of envelope: Envelope) -> Date {
        envelope.receivedAt + holdLifetime.timeInterval
    }
}
