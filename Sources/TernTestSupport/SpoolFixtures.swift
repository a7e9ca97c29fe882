package import Foundation
package import TernMessage
package import TernSMTPCore

/// Envelopes and bodies for spool and delivery tests.
package enum SpoolFixtures {
    /// `Sun, 29 Nov 2026 08:09:25 +0000` plus 123 456 µs: a fixed time at microsecond precision,
    /// which envelope records keep exactly.
    package static let receivedAt = Date(timeIntervalSince1970: 1_795_939_765.123456)

    /// A mailbox `localPart@domain`.
    package static func mailbox(_ localPart: String, _ domain: String = "example.com") -> Mailbox {
        Mailbox(localPart: localPart, domain: .name(domain))
    }

    /// A pending local recipient.
    package static func localRecipient(_ localPart: String, _ domain: String = "example.com") -> EnvelopeRecipient {
        EnvelopeRecipient(original: .mailbox(mailbox(localPart, domain)), target: .local(mailbox(localPart, domain)))
    }

    /// An envelope from `alice@example.org` over ESMTP from 192.0.2.1, received at `receivedAt`.
    package static func envelope(
        id: QueueID = QueueID(), sender: ReversePath = .mailbox(mailbox("alice", "example.org")),
        recipients: [EnvelopeRecipient] = [localRecipient("bob")]
    ) -> Envelope {
        Envelope(
            id: id, sender: sender, recipients: recipients, clientName: "client.example.org",
            clientAddress: "192.0.2.1", protocolName: "ESMTP", receivedAt: receivedAt)
    }

    /// `count` bytes of CRLF-terminated text lines that vary with position, for streaming tests.
    package static func body(count: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        var line = 0
        while bytes.count < count {
            bytes.append(contentsOf: "Line \(line) of the test body, with some filler text.\r\n".utf8)
            line += 1
        }
        return Array(bytes.prefix(count))
    }
}
