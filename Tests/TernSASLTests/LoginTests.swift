import Testing
import TernSASL

@Suite("LOGIN")
struct LoginTests {
    static let account = Fixtures.account("tanstaaf")

    @Test("Username: and Password: prompts")
    func prompts() {
        var server = Fixtures.server(.login)
        #expect(server.start(initialResponse: nil) == .challenge([UInt8]("Username:")))
        #expect(server.respond([UInt8]("tim")) == .challenge([UInt8]("Password:")))
        #expect(server.respond([UInt8]("tanstaaf")) == .lookUp(username: "tim"))
        #expect(server.credentialsFound(LoginTests.account) == .success(username: "tim", upgrade: nil))
    }

    @Test("the initial response is the user name")
    func initialResponse() {
        var server = Fixtures.server(.login)
        #expect(server.start(initialResponse: [UInt8]("tim")) == .challenge([UInt8]("Password:")))
        #expect(server.respond([UInt8]("tanstaaf")) == .lookUp(username: "tim"))
        #expect(server.credentialsFound(LoginTests.account) == .success(username: "tim", upgrade: nil))
    }

    @Test("a wrong password or an unknown user fails as invalid credentials")
    func wrongCredentials() {
        var wrong = Fixtures.server(.login)
        _ = wrong.start(initialResponse: [UInt8]("tim"))
        _ = wrong.respond([UInt8]("nope"))
        #expect(wrong.credentialsFound(LoginTests.account) == .failure(.invalidCredentials))
        var unknown = Fixtures.server(.login)
        _ = unknown.start(initialResponse: [UInt8]("nobody"))
        _ = unknown.respond([UInt8]("tanstaaf"))
        #expect(unknown.credentialsFound(nil) == .failure(.invalidCredentials))
    }

    @Test("an empty (=) or undecodable user name fails", arguments: [[], [0xFF], [0x61, 0]] as [[UInt8]])
    func badUsername(username: [UInt8]) {
        var initial = Fixtures.server(.login)
        #expect(initial.start(initialResponse: username) == .failure(.malformed))
        var prompted = Fixtures.server(.login)
        _ = prompted.start(initialResponse: nil)
        #expect(prompted.respond(username) == .failure(.malformed))
    }

    @Test("an empty or undecodable password fails", arguments: [[], [0xC3]] as [[UInt8]])
    func badPassword(password: [UInt8]) {
        var server = Fixtures.server(.login)
        _ = server.start(initialResponse: [UInt8]("tim"))
        #expect(server.respond(password) == .failure(.malformed))
    }
}
