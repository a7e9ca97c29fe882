package import Foundation
package import TernSMTPCore

/// Everything the spool keeps about a message besides its body: the SMTP envelope, where the
/// message came from, and the delivery state of each recipient.
///
/// Stored as a versioned, self-checking text record (see `FileSpool`). Times are kept to the
/// microsecond: a `Date` read back may differ from the one written by less than that.
package struct Envelope: Sendable, Hashable {
    /// The message's queue id.
    package var id: QueueID
    /// The reverse path of `MAIL FROM:`.
    package var sender: ReversePath
    /// The accepted recipients, in RCPT order.
    package var recipients: [EnvelopeRecipient]
    /// The `MAIL FROM:` parameters (BODY, SMTPUTF8, RET, ENVID, AUTH=, TRANSID), kept for
    /// relaying and delivery status notifications.
    package var parameters: MailParameters
    /// The EHLO or HELO argument.
    package var clientName: String
    /// The client's IP address as text, such as `192.0.2.1` or `2001:db8::1`.
    package var clientAddress: String
    /// The protocol keyword for `Received:` (RFC 3848, RFC 6531): `SMTP`, `ESMTP`, `ESMTPS`,
    /// `ESMTPA`, `UTF8SMTP`, ...
    package var protocolName: String
    /// The TLS protocol version the message came over, such as `TLSv1.3`; nil in clear text.
    package var tls: String?
    /// When the message was accepted.
    package var receivedAt: Date
    /// Octets of the stored body.
    package var size: Int
    /// Delivery attempts so far.
    package var attempts: Int
    /// When the queue runner should try again; nil means now.
    package var nextAttempt: Date?
    /// Held by the operator (`tern queue hold`): not delivered until released.
    package var held: Bool

    /// Creates an envelope. `size` is filled in by `SpoolWriter.commit(_:)`.
    package init(
        id: QueueID, sender: ReversePath, recipients: [EnvelopeRecipient],
        parameters: MailParameters = MailParameters(), clientName: String, clientAddress: String,
        protocolName: String, tls: String? = nil, receivedAt: Date, size: Int = 0, attempts: Int = 0,
        nextAttempt: Date? = nil, held: Bool = false
    ) {
        self.id = id
        self.sender = sender
        self.recipients = recipients
        self.parameters = parameters
        self.clientName = clientName
        self.clientAddress = clientAddress
        self.protocolName = protocolName
        self.tls = tls
        self.receivedAt = receivedAt
        self.size = size
        self.attempts = attempts
        self.nextAttempt = nextAttempt
        self.held = held
    }
}
