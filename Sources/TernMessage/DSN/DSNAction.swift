package import TernSMTPCore

/// What happened to one recipient, as the `Action:` field of a delivery status notification
/// states it (RFC 3464 §2.3.3).
package enum DSNAction: String, Hashable, Sendable, CaseIterable {
    /// Delivery failed for good; the message will not be tried again for this recipient.
    case failed
    /// Delivery has not succeeded yet and is still being tried.
    case delayed
    /// Delivered to the recipient's mailbox.
    case delivered
    /// Handed to a system that sends no delivery reports of its own.
    case relayed
    /// Delivered, then passed on to several further addresses (alias expansion).
    case expanded

    /// The `NOTIFY=` condition under which a recipient asks for this report (RFC 3461 §4.1):
    /// FAILURE for `failed`, DELAY for `delayed`, SUCCESS for the others.
    package var notifyCondition: NotifyConditions {
        switch self {
        case .failed: .failure
        case .delayed: .delay
        case .delivered, .relayed, .expanded: .success
        }
    }
}
