import TernSMTPCore

/// One accepted recipient of a spooled message, with its delivery state.
public struct EnvelopeRecipient: Sendable, Hashable {
    /// The forward path as given at RCPT, before aliases and forwards.
    public var original: ForwardPath
    /// `NOTIFY=` and `ORCPT=`, kept for delivery status notifications.
    public var parameters: RcptParameters
    /// Where this copy goes.
    public var target: DeliveryTarget
    /// How far delivery has come.
    public var status: RecipientStatus
    /// The host name of the peer whose reply decided `status`, if one did.
    public var remoteMTA: String?
    /// The delivery reports already sent about this recipient.
    public var reportsSent: ReportsSent

    /// Creates a recipient, pending by default.
    public init(
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
