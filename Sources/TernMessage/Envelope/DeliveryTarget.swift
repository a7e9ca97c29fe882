package import TernSMTPCore

/// Where a recipient's copy goes after aliases and forwards are resolved.
package enum DeliveryTarget: Hashable, Sendable {
    /// A local Maildir, named by the lower-cased mailbox.
    case local(Mailbox)
    /// A mailbox on another host, relayed by outbound SMTP.
    case remote(Mailbox)

    /// The mailbox either way.
    package var mailbox: Mailbox {
        switch self {
        case .local(let mailbox), .remote(let mailbox): mailbox
        }
    }
}
