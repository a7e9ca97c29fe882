import Foundation
import TernMessage
import TernSMTPCore

/// What wakes the scheduler's loop (`QueueScheduler.run`).
enum QueueEvent: Sendable {
    /// A message was just committed.
    case submitted(QueueID)
    /// A retry timer set for this time fired.
    case due(QueueID, Date)
    /// An attempt ended; the message wants another one at this time (nil: nothing left to do here).
    case finished(QueueID, next: Date?)
    /// The local lane wrote the message's local copies; its recipients for other hosts are due.
    case handOff(QueueID)
    /// An ETRN run (or `tern queue flush` of a hold domain) releases these messages' recipients
    /// in these domains; the domains are locked until the run ends.
    case release(Set<String>, [QueueID])
}
