package import TernMessage
package import TernSMTPCore

package extension DeliveryTarget {
    /// The spool's form of a policy target.
    init(_ target: RecipientTarget) {
        switch target {
        case .local(let mailbox): self = .local(mailbox)
        case .remote(let mailbox): self = .remote(mailbox)
        }
    }

    /// Where mail to `mailbox` goes that the server sends itself (reports, local submissions):
    /// local mailboxes and aliases as `recipients` resolves them, anything else relayed; none
    /// for a local address that takes no mail.
    static func targets(of mailbox: Mailbox, in recipients: LocalRecipients) -> [DeliveryTarget] {
        switch recipients.resolve(.mailbox(mailbox), relayAllowed: true) {
        case .accept(let targets): targets.map(DeliveryTarget.init)
        case .forward(let target): [DeliveryTarget(recipients.target(forwardingTo: target))]
        case .relocated, .unknown, .unavailable, .disabled, .relayDenied: []
        }
    }
}
