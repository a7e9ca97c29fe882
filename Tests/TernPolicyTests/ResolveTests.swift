import TernPolicy
import TernSMTPCore
import Testing

struct ResolveCase: Sendable, CustomTestStringConvertible {
    let path: ForwardPath
    let relayAllowed: Bool
    let expected: RecipientVerdict

    init(_ address: String, relay: Bool = false, _ expected: RecipientVerdict) {
        path = address == "<Postmaster>" || address == "<postmaster>" || address == "<POSTMASTER>"
            ? .postmaster : .mailbox(mailbox(address))
        relayAllowed = relay
        self.expected = expected
    }

    var testDescription: String { "\(path) relay=\(relayAllowed)" }
}

private func local(_ text: String) -> RecipientTarget { .local(mailbox(text)) }
private func remote(_ text: String) -> RecipientTarget { .remote(mailbox(text)) }

@Suite struct ResolveTests {
    static let cases: [ResolveCase] = [
        // Local mailboxes, exact and wildcard, in any case; delivery mailboxes lower-cased.
        ResolveCase("user@example.com", .accept([local("user@example.com")])),
        ResolveCase("USER@Example.COM", .accept([local("user@example.com")])),
        ResolveCase("mixed.case@example.com", .accept([local("mixed.case@example.com")])),
        ResolveCase("anyone@example.org", .accept([local("anyone@example.org")])),
        ResolveCase("Any.One@EXAMPLE.org", .accept([local("any.one@example.org")])),
        ResolveCase("lit@[192.0.2.1]", .accept([local("lit@[192.0.2.1]")])),
        ResolveCase("nobody@example.com", .unknown),
        ResolveCase("nobody@[192.0.2.1]", .unknown),
        // Routing characters are plain local-part characters.
        ResolveCase("a%other.example@example.com", .unknown),
        ResolveCase("other.example!a@example.com", .unknown),
        ResolveCase("a@other.example@example.com", .unknown),
        ResolveCase("a%other.example@example.org", .accept([local("a%other.example@example.org")])),
        ResolveCase("other.example!a@example.org", .accept([local("other.example!a@example.org")])),
        ResolveCase("a@other.example@example.org", .accept([local("a@other.example@example.org")])),
        ResolveCase("a%other.example@example.com", relay: true, .unknown),
        // Other domains: relay rule only. `<@example.com:x@other.example>` reaches policy without
        // its source route (RFC 5321 §4.1.2), as `x@other.example`: a local first hop grants nothing.
        ResolveCase("x@other.example", .relayDenied),
        ResolveCase("x@OTHER.example", .relayDenied),
        ResolveCase("x@other.example", relay: true, .accept([remote("x@other.example")])),
        ResolveCase("user@sub.example.com", .relayDenied),
        ResolveCase("user@[192.0.2.2]", .relayDenied),
        // Tables.
        ResolveCase("fwd@example.com", .forward(mailbox("fwd@other.example"))),
        ResolveCase("FWD@example.COM", .forward(mailbox("fwd@other.example"))),
        ResolveCase("old@example.com", .relocated(mailbox("new@other.example"))),
        ResolveCase("Old@Example.com", .relocated(mailbox("new@other.example"))),
        ResolveCase("closed@example.com", .unavailable),
        ResolveCase("shut@example.com", .disabled),
        ResolveCase("SHUT@example.com", relay: true, .disabled),
        // Priority: relocated, disabled, unavailable, forward, alias, mailbox.
        ResolveCase("everything@example.com", .relocated(mailbox("moved@other.example"))),
        ResolveCase("shut-closed@example.com", .disabled),
        ResolveCase("closed-fwd@example.com", .unavailable),
        ResolveCase("fwd-alias@example.com", .forward(mailbox("fa@other.example"))),
        ResolveCase("both@example.com", .accept([local("user@example.com")])),
        // Postmaster: always accepted.
        ResolveCase("<Postmaster>", .forward(mailbox("pm@other.example"))),
        ResolveCase("postmaster@example.com", .forward(mailbox("pm@other.example"))),
        ResolveCase("PostMaster@example.org", .accept([local("user@example.com")])),
        ResolveCase("postmaster@[192.0.2.1]", .accept([local("postmaster@example.com")])),
        ResolveCase("postmaster@other.example", .relayDenied),
    ]

    @Test(arguments: cases)
    func resolve(_ testCase: ResolveCase) {
        #expect(PolicyFixtures.recipients.resolve(testCase.path, relayAllowed: testCase.relayAllowed) == testCase.expected)
    }

    @Test(arguments: ["<Postmaster>", "<postmaster>", "<POSTMASTER>"])
    func bareOrDomainPostmasterWithoutTables(_ path: String) {
        let recipients = LocalRecipients(domains: [.name("Example.com"), .name("example.net")])
        let expected = RecipientVerdict.accept([.local(mailbox("postmaster@example.com"))])
        #expect(recipients.resolve(ResolveCase(path, .unknown).path, relayAllowed: false) == expected)
        #expect(recipients.resolve(.mailbox(mailbox("POSTMASTER@EXAMPLE.NET")), relayAllowed: false) == expected)
    }

    @Test func postmasterIsNeverRefused() {
        let recipients = LocalRecipients(
            domains: [.name("example.com")],
            aliases: [mailbox("postmaster@example.com"): [mailbox("gone@example.com")]],
            relocated: [mailbox("postmaster@example.com"): mailbox("pm@other.example")],
            unavailable: [mailbox("postmaster@example.com")],
            disabled: [mailbox("postmaster@example.com")]
        )
        #expect(recipients.resolve(.postmaster, relayAllowed: false) == .accept([.local(mailbox("postmaster@example.com"))]))
    }

    @Test func primaryDomainAndLocality() {
        let recipients = PolicyFixtures.recipients
        #expect(recipients.primaryDomain == .name("example.com"))
        #expect(recipients.isLocal(.name("EXAMPLE.org")))
        #expect(recipients.isLocal(.addressLiteral("192.0.2.1")))
        #expect(!recipients.isLocal(.name("example.net")))
        #expect(!recipients.isLocal(.name("mail.example.com")))
    }
}
