import Testing
import TernSASL

/// A caller that checks passwords itself takes PLAIN's and LOGIN's password at `.lookUp`.
@Suite("Passwords checked by the caller")
struct SuppliedPasswordTests {
    @Test("PLAIN and LOGIN hand over the user name and password, and take the verdict")
    func plainAndLogin() {
        var plain = Fixtures.server(.plain)
        #expect(plain.suppliedPassword == nil)
        #expect(plain.start(initialResponse: Fixtures.plainMessage("tim", "tanstaaf")) == .lookUp(username: "tim"))
        #expect(plain.suppliedPassword?.username == "tim" && plain.suppliedPassword?.password == "tanstaaf")
        #expect(plain.passwordChecked(true) == .success(username: "tim", upgrade: nil))
        #expect(plain.suppliedPassword == nil)

        var login = Fixtures.server(.login)
        _ = login.start(initialResponse: Array("tim".utf8))
        #expect(login.respond(Array("guess".utf8)) == .lookUp(username: "tim"))
        #expect(login.suppliedPassword?.password == "guess")
        #expect(login.passwordChecked(false) == .failure(.invalidCredentials))
    }

    @Test("CRAM-MD5 and SCRAM-SHA-256 have no password to hand over")
    func noPasswordElsewhere() {
        var scram = Fixtures.server(.scramSHA256)
        _ = scram.start(initialResponse: Array("n,,n=tim,r=abcdef".utf8))
        #expect(scram.suppliedPassword == nil)
        #expect(scram.passwordChecked(true) == .failure(.malformed))
    }
}
