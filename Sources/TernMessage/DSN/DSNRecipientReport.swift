package import Foundation
import TernSMTPCore

/// What to report about one recipient of a message: the per-recipient fields of a delivery
/// status notification (RFC 3464 §2.3).
package struct DSNRecipientReport: Hashable, Sendable {
    /// The recipient as the envelope holds it: its address at RCPT, its `NOTIFY=` and `ORCPT=`,
    /// and its target, which becomes `Final-Recipient:`.
    package var recipient: EnvelopeRecipient
    /// What happened.
    package var action: DSNAction
    /// The status code; its class should agree with `action` (5 for failed, 4 for delayed, 2
    /// otherwise).
    package var status: DSNStatus
    /// The reply or error that decided the outcome, if known.
    package var diagnostic: DSNDiagnostic?
    /// The host name of the peer that gave `diagnostic`, if the outcome came from a peer.
    package var remoteMTA: String?
    /// When delivery was last tried, if it was.
    package var lastAttempt: Date?
    /// For `delayed`: when Tern gives up and sends a failure report instead.
    package var willRetryUntil: Date?

    /// A report on `recipient`.
    package init(
        recipient: EnvelopeRecipient, action: DSNAction, status: DSNStatus, diagnostic: DSNDiagnostic? = nil,
        remoteMTA: String? = nil, lastAttempt: Date? = nil, willRetryUntil: Date? = nil
    ) {
        self.recipient = recipient
        self.action = action
        self.status = status
        self.diagnostic = diagnostic
        self.remoteMTA = remoteMTA
        self.lastAttempt = lastAttempt
        self.willRetryUntil = willRetryUntil
    }

    /// Whether the recipient's `NOTIFY=` asks for this report: an absent NOTIFY means
    /// FAILURE,DELAY, and NEVER asks for none (RFC 3461 §4.1, docs/behaviour.md §9).
    package var isRequested: Bool {
        (recipient.parameters.notify ?? .default).contains(action.notifyCondition)
    }
}
