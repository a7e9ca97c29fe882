import TernPolicy
import TernSMTPCore

/// Builds a mailbox from `local@domain` text (split at the last `@`; `[...]` is an address literal).
func mailbox(_ text: String) -> Mailbox {
    let at = text.lastIndex(of: "@")!
    let domainText = text[text.index(after: at)...]
    let domain: Domain = domainText.hasPrefix("[")
        ? .addressLiteral(String(domainText.dropFirst().dropLast()))
        : .name(String(domainText))
    return Mailbox(localPart: String(text[..<at]), domain: domain)
}

/// The recipient tables most tests run against.
enum PolicyFixtures {
    static let recipients = LocalRecipients(
        domains: [.name("example.com"), .name("Example.ORG"), .addressLiteral("192.0.2.1")],
        mailboxes: [
            .mailbox(mailbox("user@example.com")),
            .mailbox(mailbox("Mixed.Case@EXAMPLE.com")),
            .mailbox(mailbox("both@example.com")),
            .mailbox(mailbox("lit@[192.0.2.1]")),
            .anyLocalPart(.name("example.org")),
        ],
        aliases: [
            mailbox("staff@example.com"): [
                mailbox("user@example.com"), mailbox("ext@Other.example"), mailbox("team@example.com"),
            ],
            mailbox("team@example.com"): [mailbox("MIXED.case@example.com"), mailbox("staff@example.com")],
            mailbox("both@example.com"): [mailbox("user@example.com")],
            mailbox("fwd-alias@example.com"): [mailbox("user@example.com")],
            mailbox("postmaster@example.org"): [mailbox("user@example.com")],
        ],
        forwards: [
            mailbox("fwd@example.com"): mailbox("fwd@other.example"),
            mailbox("fwd-alias@example.com"): mailbox("fa@other.example"),
            mailbox("everything@example.com"): mailbox("e@other.example"),
            mailbox("closed-fwd@example.com"): mailbox("cf@other.example"),
            mailbox("postmaster@example.com"): mailbox("pm@other.example"),
        ],
        relocated: [
            mailbox("old@example.com"): mailbox("new@other.example"),
            mailbox("everything@example.com"): mailbox("moved@other.example"),
        ],
        unavailable: [
            mailbox("closed@example.com"), mailbox("shut-closed@example.com"), mailbox("closed-fwd@example.com"),
            mailbox("everything@example.com"),
        ],
        disabled: [mailbox("shut@example.com"), mailbox("shut-closed@example.com"), mailbox("everything@example.com")]
    )
}
