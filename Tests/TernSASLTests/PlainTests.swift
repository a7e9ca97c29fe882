import Testing
import TernSASL

@Suite("PLAIN")
struct PlainTests {
    static let account = Fixtures.account("tanstaaf")

    @Test("with an initial response")
    func initialResponse() {
        var server = Fixtures.server(.plain)
        #expect(server.start(initialResponse: Fixtures.plainMessage("tim", "tanstaaf")) == .lookUp(username: "tim"))
        #expect(server.credentialsFound(PlainTests.account) == .success(username: "tim", upgrade: nil))
    }

    @Test("without an initial response: an empty challenge first")
    func emptyChallenge() {
        var server = Fixtures.server(.plain)
        #expect(server.start(initialResponse: nil) == .challenge([]))
        #expect(server.respond(Fixtures.plainMessage("tim", "tanstaaf")) == .lookUp(username: "tim"))
        #expect(server.credentialsFound(PlainTests.account) == .success(username: "tim", upgrade: nil))
    }

    @Test("an authorization identity equal to the user is accepted")
    func sameAuthorization() {
        var server = Fixtures.server(.plain)
        #expect(server.start(initialResponse: Fixtures.plainMessage("tim", "tanstaaf", authorization: "tim")) == .lookUp(username: "tim"))
        #expect(server.credentialsFound(PlainTests.account) == .success(username: "tim", upgrade: nil))
    }

    @Test("an authorization identity other than the user fails before any lookup")
    func otherAuthorization() {
        var server = Fixtures.server(.plain)
        #expect(server.start(initialResponse: Fixtures.plainMessage("tim", "tanstaaf", authorization: "admin")) == .failure(.malformed))
    }

    @Test("bad forms fail", arguments: [
        [], Array("tim".utf8), Array("tim\u{0}tanstaaf".utf8), Array("\u{0}tim\u{0}tanstaaf\u{0}".utf8),
        Array("\u{0}\u{0}tanstaaf".utf8), Array("\u{0}tim\u{0}".utf8), [0, 0xFF, 0xFE, 0, 0x61],
        [0, 0x61, 0, 0xC3],
    ] as [[UInt8]])
    func badForms(message: [UInt8]) {
        var server = Fixtures.server(.plain)
        #expect(server.start(initialResponse: message) == .failure(.malformed))
    }

    @Test("a wrong password and an unknown user both fail as invalid credentials")
    func wrongCredentials() {
        #expect(Fixtures.plainLogin("tim", "tanstaaF", credentials: PlainTests.account) == .failure(.invalidCredentials))
        #expect(Fixtures.plainLogin("nobody", "tanstaaf", credentials: nil) == .failure(.invalidCredentials))
    }

    @Test("UTF-8 user names and passwords")
    func unicode() {
        let account = Fixtures.account("pässwörd ✓")
        #expect(Fixtures.plainLogin("jürgen", "pässwörd ✓", credentials: account) == .success(username: "jürgen", upgrade: nil))
    }

    @Test("a failure is final")
    func finished() {
        var server = Fixtures.server(.plain)
        _ = server.start(initialResponse: [])
        #expect(server.respond(Fixtures.plainMessage("tim", "tanstaaf")) == .failure(.malformed))
    }
}
