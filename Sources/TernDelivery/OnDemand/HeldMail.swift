package import TernSMTPCore

/// Why held mail can't be handed over now.
package enum HeldMailUnavailable: Error, Sendable, Hashable {
    /// An ETRN run or an ATRN session for one of the domains is under way.
    case busy
    /// The queue can't be read.
    case unreadable
}

/// Held mail locked for one turned ATRN connection: its domains stay locked until
/// `HeldMailRelease.deliverHeld` ends or the reservation is abandoned.
package struct HeldMailReservation: Sendable {
    /// The domains, lower-cased.
    package let domains: Set<String>
    /// The messages with a recipient waiting in them, oldest first.
    package let messages: [QueueID]
}
