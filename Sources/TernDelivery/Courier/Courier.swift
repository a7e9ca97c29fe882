import Foundation
package import TernMessage
package import TernSpool

/// Carries recipients of spooled messages to where they go: `MaildirCourier` into local
/// Maildirs, `RelayCourier` to other hosts over SMTP or LMTP, `TurnedConnectionCourier` over a
/// connection ATRN turned around. The attempt (`DeliveryAttempt`) sorts the recipients of a
/// message to its couriers and records what they report.
///
/// A courier only delivers: it never reads or rewrites the spool, so recording the outcomes
/// durably is left to the caller (docs/behaviour.md §11).
package protocol Courier {
    /// Delivers the recipients of each parcel and tells `decided` each parcel's receipts as soon
    /// as they are known, before the next parcel goes. Never throws: failures are receipts. A
    /// recipient without a receipt (the task was cancelled first) keeps its status.
    func deliver(_ parcels: [Parcel], decided: @escaping (Parcel, [Receipt]) async -> Void) async
}

extension Courier {
    /// Delivers the recipients of one parcel; their receipts.
    func deliver(_ parcel: Parcel) async -> [Receipt] {
        var receipts: [Receipt] = []
        await deliver([parcel]) { receipts = $1 }
        return receipts
    }
}

/// Recipients of one message handed to a courier.
package struct Parcel: Sendable {
    /// The message's envelope, as read for this attempt.
    package var envelope: Envelope
    /// The recipients to deliver: indices into `envelope.recipients`.
    package var recipients: [Int]
    /// The stored text.
    package var body: SpoolBody
    /// An earlier attempt may have delivered some of the recipients without its outcome being
    /// recorded (the server stopped, or the record failed): a courier that can find its earlier
    /// copy looks for it first (`MaildirCourier`).
    package var mayHaveEarlierCopies = false
}

/// What a courier made of one recipient.
package struct Receipt: Sendable {
    /// The recipient's outcome.
    package enum Verdict: Sendable {
        case delivered
        /// Try again later; the reason as a reply, `451 4.3.0 text`.
        case deferred(String)
        /// Never deliverable; the reason as a reply, `550 5.1.1 text`.
        case failed(String)
    }

    /// The recipient's index in the envelope.
    package var recipient: Int
    package var verdict: Verdict
    /// The host whose reply decided, for the report's `Remote-MTA:`; nil when no host spoke.
    package var remoteMTA: String?
    /// The peer took the recipient's `NOTIFY=` (it offers DSN): the success report is its to
    /// send, not Tern's (RFC 3461 §5.2.1).
    package var peerReports: Bool

    /// The receipt of the recipient at `recipient`.
    package init(recipient: Int, verdict: Verdict, remoteMTA: String? = nil, peerReports: Bool = false) {
        self.recipient = recipient
        self.verdict = verdict
        self.remoteMTA = remoteMTA
        self.peerReports = peerReports
    }
}

extension Envelope {
    /// Records `receipts`: each recipient's status as of `time`, the host that decided, and the
    /// final report as settled where the peer sends it.
    mutating func record(_ receipts: [Receipt], at time: Date) {
        for receipt in receipts {
            let index = receipt.recipient
            recipients[index].status = switch receipt.verdict {
            case .delivered: .delivered(time)
            case .deferred(let reason): .deferred(reason)
            case .failed(let reason): .failed(reason)
            }
            recipients[index].remoteMTA = receipt.remoteMTA
            if receipt.peerReports { recipients[index].reportsSent.insert(.final) }
        }
    }
}
