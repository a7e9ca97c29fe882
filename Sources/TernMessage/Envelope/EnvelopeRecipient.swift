package import TernSMTPCore

/// One accepted recipient of a spooled message, with its delivery state.
package struct EnvelopeRecipient: Sendable, Hashable {
    /// The forward path as given at RCPT, before aliases and forwards.
    package var original: ForwardPath
    /// `NOTIFY=` and `ORCPT=`, kept for delivery status notifications.
    package var parameters: RcptParameters
    /// Where this copy goes.
    package var target: DeliveryTarget
    /// How far delivery has come.
    package var status: RecipientStatus
    /// The host name of the peer whose reply decided `status`, if one did.
    package var remoteMTA: String?
    /// The delivery reports already sent about this recipient.
    package var reportsSent: ReportsSent

    /// Creates a recipient, pending by default.
    package init(
        original: ForwardPath, parameters: RcptParameters = RcptParameters(), target: DeliveryTarget,
        status: RecipientStatus = .pending, remoteMTA: String? = nil, reportsSent: ReportsSent = []
    ) {
        self.original = original
        self.parameters = parameters
        self.target = target
        self.status = status
        self.remoteMTA = remoteMTA
        self.reportsSent = reportsSent
    }
}
