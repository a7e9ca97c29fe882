import Testing
import TernSASL

@Suite("Account policy and password transition")
struct PolicyTests {
    static let legacyHashes = [
        "{SSHA256}8RweUWfW05HMR6Di4hdMmGmnwApS7zXZ2UYo0TxiMScBAgMEc2FsdHNhbHQ=",
        "{SHA512-CRYPT}$6$rounds=1000$saltUTF8$cj.Oxn8yn7rxOxEjyzZ38M1.v8ivcmabZnf..fDphDGLW/cguCtzRixxvRqUH0paNhnofAu3v.n/P7NvCkMtY/",
    ]
    static let legacyPasswords = ["correct horse", "pässwörd ünïcode"]

    static func legacyAccount(_ index: Int, allowCRAMMD5: Bool = false) -> StoredCredentials {
        StoredCredentials(legacy: LegacyHash(legacyHashes[index])!, allowCRAMMD5: allowCRAMMD5, strongOnly: false)
    }

    @Test("strong-only accounts: PLAIN, LOGIN and CRAM-MD5 are too weak even with the right password")
    func strongOnlyRefusesWeakMechanisms() {
        let account = Fixtures.account("tanstaaftanstaaf", allowCRAMMD5: true, strongOnly: true)
        #expect(Fixtures.plainLogin("tim", "tanstaaftanstaaf", credentials: account) == .failure(.mechanismTooWeak))
        #expect(Fixtures.plainLogin("tim", "wrong", credentials: account) == .failure(.mechanismTooWeak))

        var login = Fixtures.server(.login)
        _ = login.start(initialResponse: [UInt8]("tim"))
        _ = login.respond([UInt8]("tanstaaftanstaaf"))
        #expect(login.credentialsFound(account) == .failure(.mechanismTooWeak))

        var cram = CRAMMD5Tests.rfcServer()
        _ = cram.start(initialResponse: nil)
        _ = cram.respond([UInt8]("tim b913a602c7eda7a495b4e6e7334d3890"))
        #expect(cram.credentialsFound(account) == .failure(.mechanismTooWeak))

        #expect(!SASLFailure.mechanismTooWeak.isCounted)
    }

    @Test("strong-only accounts: SCRAM-SHA-256 works")
    func strongOnlyAllowsSCRAM() {
        let account = Fixtures.account("tanstaaftanstaaf", strongOnly: true)
        let client = SCRAMTestClient(sentUsername: "tim", password: "tanstaaftanstaaf")
        #expect(client.login(credentials: account) == .success(username: "tim", upgrade: nil))
    }

    @Test("legacy-only accounts: SCRAM-SHA-256 needs a transition, before any proof", arguments: 0..<2)
    func legacySCRAM(index: Int) {
        var server = Fixtures.server(.scramSHA256)
        _ = server.start(initialResponse: [UInt8]("n,,n=tim,r=abc"))
        #expect(server.credentialsFound(PolicyTests.legacyAccount(index)) == .failure(.transitionNeeded))
        #expect(!SASLFailure.transitionNeeded.isCounted)
    }

    @Test("legacy-only accounts: CRAM-MD5 needs a transition", arguments: 0..<2)
    func legacyCRAMMD5(index: Int) {
        var server = CRAMMD5Tests.rfcServer()
        _ = server.start(initialResponse: nil)
        _ = server.respond([UInt8]("tim b913a602c7eda7a495b4e6e7334d3890"))
        #expect(server.credentialsFound(PolicyTests.legacyAccount(index, allowCRAMMD5: true)) == .failure(.transitionNeeded))
    }

    @Test("legacy-only accounts: PLAIN over TLS succeeds with an upgrade, after which SCRAM works", arguments: 0..<2)
    func transitionByPLAIN(index: Int) throws {
        let account = PolicyTests.legacyAccount(index)
        let password = PolicyTests.legacyPasswords[index]
        let step = Fixtures.plainLogin("tim", password, credentials: account)
        guard case .success(let username, let upgrade) = step else {
            Issue.record("expected success, got \(step)")
            return
        }
        #expect(username == "tim")
        let upgraded = try #require(upgrade)
        #expect(upgraded.legacy == nil)
        #expect(upgraded.scram?.iterations == 4096)
        #expect(upgraded.cramMD5Secret == nil)
        #expect(!upgraded.strongOnly && !upgraded.allowCRAMMD5)

        let client = SCRAMTestClient(sentUsername: "tim", password: password)
        #expect(client.login(credentials: upgraded) == .success(username: "tim", upgrade: nil))
        #expect(Fixtures.plainLogin("tim", password, credentials: upgraded) == .success(username: "tim", upgrade: nil))
    }

    @Test("legacy-only accounts: LOGIN also performs the transition; CRAM-MD5 works after it when allowed")
    func transitionByLOGIN() throws {
        let account = PolicyTests.legacyAccount(0, allowCRAMMD5: true)
        var server = Fixtures.server(.login)
        _ = server.start(initialResponse: nil)
        _ = server.respond([UInt8]("tim"))
        _ = server.respond([UInt8]("correct horse"))
        guard case .success(_, let upgrade) = server.credentialsFound(account) else {
            Issue.record("expected success")
            return
        }
        let upgraded = try #require(upgrade)
        #expect(upgraded.cramMD5Secret?.count == StoredCredentials.cramMD5SecretByteCount)
        #expect(upgraded.legacy == nil && upgraded.scram != nil)
        #expect(CRAMMD5Tests.login("tim", password: [UInt8]("correct horse"), credentials: upgraded)
            == .success(username: "tim", upgrade: nil))
        #expect(CRAMMD5Tests.login("tim", password: [UInt8]("correct horse"), credentials: account)
            == .failure(.transitionNeeded))
    }

    @Test("legacy-only accounts: a wrong password fails as invalid credentials", arguments: 0..<2)
    func legacyWrongPassword(index: Int) {
        #expect(Fixtures.plainLogin("tim", "wrong", credentials: PolicyTests.legacyAccount(index)) == .failure(.invalidCredentials))
    }

    @Test("legacy-only accounts without TLS: the login succeeds but no transition happens")
    func noTransitionWithoutTLS() {
        let step = Fixtures.plainLogin("tim", "correct horse", credentials: PolicyTests.legacyAccount(0), tlsActive: false)
        #expect(step == .success(username: "tim", upgrade: nil))
    }

    @Test("an account with neither keys nor a legacy hash accepts nothing")
    func emptyAccount() {
        let empty = StoredCredentials(allowCRAMMD5: true, strongOnly: false)
        #expect(Fixtures.plainLogin("tim", "anything", credentials: empty) == .failure(.invalidCredentials))
        let client = SCRAMTestClient(sentUsername: "tim", password: "anything")
        #expect(client.login(credentials: empty) == .failure(.invalidCredentials))
    }

    @Test("invalid credentials and malformed messages count toward the failure limit")
    func counted() {
        #expect(SASLFailure.invalidCredentials.isCounted)
        #expect(SASLFailure.malformed.isCounted)
    }
}
