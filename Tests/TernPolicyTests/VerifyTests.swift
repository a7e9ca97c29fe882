import TernPolicy
import TernSMTPCore
import Testing

struct VerifyCase: Sendable, CustomTestStringConvertible {
    let address: String
    let relayAllowed: Bool
    let expected: VerifyVerdict

    init(_ address: String, relay: Bool = false, _ expected: VerifyVerdict) {
        self.address = address
        relayAllowed = relay
        self.expected = expected
    }

    var testDescription: String { "\(address) relay=\(relayAllowed)" }
}

@Suite struct VerifyTests {
    static let cases: [VerifyCase] = [
        VerifyCase("user@example.com", .local(mailbox("user@example.com"))),
        VerifyCase("User@EXAMPLE.com", .local(mailbox("user@example.com"))),
        VerifyCase("someone@example.org", .local(mailbox("someone@example.org"))),
        VerifyCase("staff@example.com", .local(mailbox("staff@example.com"))),
        VerifyCase("postmaster@[192.0.2.1]", .local(mailbox("postmaster@[192.0.2.1]"))),
        VerifyCase("Postmaster@example.org", .local(mailbox("postmaster@example.org"))),
        VerifyCase("fwd@example.com", .forward(mailbox("fwd@other.example"))),
        VerifyCase("old@example.com", .relocated(mailbox("new@other.example"))),
        VerifyCase("nobody@example.com", .unknown),
        VerifyCase("a%other.example@example.com", .unknown),
        VerifyCase("closed@example.com", .unavailable),
        VerifyCase("shut@example.com", .disabled),
        VerifyCase("everything@example.com", .relocated(mailbox("moved@other.example"))),
        VerifyCase("x@other.example", .relayDenied),
        VerifyCase("x@other.example", relay: true, .cannotVerify),
        VerifyCase("nobody@example.com", relay: true, .unknown),
    ]

    @Test(arguments: cases)
    func verify(_ testCase: VerifyCase) {
        let verdict = PolicyFixtures.recipients.verify(mailbox(testCase.address), relayAllowed: testCase.relayAllowed)
        #expect(verdict == testCase.expected)
    }

    static let neverCases: [VerifyCase] = [
        VerifyCase("user@example.com", .cannotVerify),
        VerifyCase("nobody@example.com", .cannotVerify),
        VerifyCase("fwd@example.com", .cannotVerify),
        VerifyCase("shut@example.com", .cannotVerify),
        VerifyCase("x@other.example", .relayDenied),
        VerifyCase("x@other.example", relay: true, .cannotVerify),
    ]

    @Test(arguments: neverCases)
    func neverMode(_ testCase: VerifyCase) {
        let recipients = LocalRecipients(
            domains: [.name("example.com")],
            mailboxes: [.mailbox(mailbox("user@example.com"))],
            forwards: [mailbox("fwd@example.com"): mailbox("f@other.example")],
            disabled: [mailbox("shut@example.com")],
            vrfyMode: .never
        )
        #expect(recipients.verify(mailbox(testCase.address), relayAllowed: testCase.relayAllowed) == testCase.expected)
    }
}
