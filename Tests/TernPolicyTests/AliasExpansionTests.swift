import TernPolicy
import TernSMTPCore
import Testing

@Suite struct AliasExpansionTests {
    private func resolve(_ address: String, in recipients: LocalRecipients) -> RecipientVerdict {
        recipients.resolve(.mailbox(mailbox(address)), relayAllowed: false)
    }

    @Test func nestedAliasWithCycleAndRemoteTarget() {
        // staff → user, ext@other, team; team → Mixed.Case, staff (a cycle back to staff).
        #expect(resolve("Staff@example.com", in: PolicyFixtures.recipients) == .accept([
            .local(mailbox("user@example.com")),
            .remote(mailbox("ext@Other.example")),
            .local(mailbox("mixed.case@example.com")),
        ]))
    }

    @Test func selfReferenceIsDeliveredToTheMailbox() {
        let recipients = LocalRecipients(
            domains: [.name("example.com")],
            mailboxes: [.anyLocalPart(.name("example.com"))],
            aliases: [mailbox("me@example.com"): [mailbox("ME@example.com"), mailbox("copy@other.example")]]
        )
        #expect(resolve("me@example.com", in: recipients) == .accept([
            .local(mailbox("me@example.com")), .remote(mailbox("copy@other.example")),
        ]))
    }

    @Test func cycleWithoutMailboxesIsUnknown() {
        let recipients = LocalRecipients(
            domains: [.name("example.com")],
            aliases: [
                mailbox("a@example.com"): [mailbox("b@example.com")],
                mailbox("b@example.com"): [mailbox("a@example.com")],
            ]
        )
        #expect(resolve("a@example.com", in: recipients) == .unknown)
        #expect(resolve("b@example.com", in: recipients) == .unknown)
    }

    @Test func diamondExpandsOnce() {
        let recipients = LocalRecipients(
            domains: [.name("example.com")],
            mailboxes: [.mailbox(mailbox("d@example.com"))],
            aliases: [
                mailbox("top@example.com"): [mailbox("b@example.com"), mailbox("c@example.com")],
                mailbox("b@example.com"): [mailbox("shared@example.com")],
                mailbox("c@example.com"): [mailbox("shared@example.com"), mailbox("x@other.example")],
                mailbox("shared@example.com"): [mailbox("d@example.com"), mailbox("D@example.com")],
            ]
        )
        #expect(resolve("top@example.com", in: recipients) == .accept([
            .local(mailbox("d@example.com")), .remote(mailbox("x@other.example")),
        ]))
    }

    @Test func depthBoundTakesTheDeepestTargetAsAMailbox() {
        let depth = LocalRecipients.maximumAliasDepth
        var aliases: [Mailbox: [Mailbox]] = [:]
        for level in 0...depth + 2 {
            aliases[mailbox("a\(level)@example.com")] = [mailbox("a\(level + 1)@example.com")]
        }
        let recipients = LocalRecipients(
            domains: [.name("example.com")], mailboxes: [.anyLocalPart(.name("example.com"))], aliases: aliases)
        #expect(resolve("a0@example.com", in: recipients) == .accept([.local(mailbox("a\(depth)@example.com"))]))
    }

    @Test func targetsGoThroughTheTables() {
        let recipients = LocalRecipients(
            domains: [.name("example.com"), .name("example.net")],
            mailboxes: [.mailbox(mailbox("ok@example.com"))],
            aliases: [
                mailbox("list@example.com"): [
                    mailbox("ok@example.com"), mailbox("old@example.com"), mailbox("shut@example.com"),
                    mailbox("closed@example.com"), mailbox("nobody@example.com"), mailbox("fwd@example.com"),
                    mailbox("local-fwd@example.com"), mailbox("postmaster@example.net"),
                ],
                mailbox("closed-list@example.com"): [mailbox("closed@example.com"), mailbox("nobody@example.com")],
                mailbox("dead-list@example.com"): [mailbox("shut@example.com"), mailbox("nobody@example.com")],
            ],
            forwards: [
                mailbox("fwd@example.com"): mailbox("f@other.example"),
                mailbox("local-fwd@example.com"): mailbox("OK@example.com"),
            ],
            relocated: [mailbox("old@example.com"): mailbox("new@other.example")],
            unavailable: [mailbox("closed@example.com")],
            disabled: [mailbox("shut@example.com")]
        )
        #expect(resolve("list@example.com", in: recipients) == .accept([
            .local(mailbox("ok@example.com")), .remote(mailbox("f@other.example")),
            .local(mailbox("postmaster@example.com")),
        ]))
        #expect(resolve("closed-list@example.com", in: recipients) == .unavailable)
        #expect(resolve("dead-list@example.com", in: recipients) == .unknown)
    }
}
