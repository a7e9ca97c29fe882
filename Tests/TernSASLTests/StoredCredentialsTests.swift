import TernSMTPCore
import Testing
import TernSASL

@Suite("Stored credentials")
struct StoredCredentialsTests {
    @Test("new keys: 16-octet salt from the random source, 4096 iterations, keys of the password")
    func create() {
        var random = FixedRandomSource(Array(0..<16))
        let credentials = StoredCredentials.create(password: "pencil", allowCRAMMD5: false, strongOnly: false, random: &random)
        #expect(credentials.scram?.salt == Array(0..<16))
        #expect(credentials.scram?.iterations == 4096)
        #expect(credentials.scram == SCRAMKeys.derive(password: "pencil", salt: Array(0..<16), iterations: 4096))
        #expect(credentials.scram?.verify("pencil") == true)
        #expect(credentials.cramMD5Secret == nil && credentials.legacy == nil)
    }

    @Test("the CRAM-MD5 secret is kept only when allowed and not strong-only")
    func cramSecret() {
        #expect(Fixtures.account("pencil", allowCRAMMD5: true).cramMD5Secret?.count == 32)
        #expect(Fixtures.account("pencil", allowCRAMMD5: true).cramMD5Secret
            == Fixtures.account("pencil", allowCRAMMD5: true, strongOnly: false).cramMD5Secret)
        #expect(Fixtures.account("pencil", allowCRAMMD5: true).cramMD5Secret != Fixtures.account("pencil2", allowCRAMMD5: true).cramMD5Secret)
        #expect(Fixtures.account("pencil", allowCRAMMD5: true, strongOnly: true).cramMD5Secret == nil)
        #expect(Fixtures.account("pencil", allowCRAMMD5: false).cramMD5Secret == nil)
    }

    @Test("the upgrade keeps the policy, adds keys and drops the legacy hash")
    func upgraded() throws {
        let legacy = try #require(LegacyHash("{SSHA256}8RweUWfW05HMR6Di4hdMmGmnwApS7zXZ2UYo0TxiMScBAgMEc2FsdHNhbHQ="))
        let imported = StoredCredentials(legacy: legacy, allowCRAMMD5: true, strongOnly: false)
        var random = FixedRandomSource("salt")
        let upgraded = imported.upgraded(password: "correct horse", random: &random)
        #expect(upgraded.legacy == nil)
        #expect(upgraded.scram?.verify("correct horse") == true)
        #expect(upgraded.cramMD5Secret == Fixtures.account("correct horse", allowCRAMMD5: true).cramMD5Secret)
        #expect(upgraded.cramMD5Secret?.count == 32 && upgraded.cramMD5Secret != [UInt8]("correct horse"))
        #expect(CRAMMD5Tests.login("tim", password: [UInt8]("correct horse"), credentials: upgraded)
            == .success(username: "tim", upgrade: nil))
        #expect(upgraded.allowCRAMMD5 && !upgraded.strongOnly)
    }

    @Test("loaded keys are validated")
    func loadedKeys() {
        let key = [UInt8](repeating: 7, count: 32)
        #expect(SCRAMKeys(salt: [1], iterations: 4096, storedKey: key, serverKey: key) != nil)
        #expect(SCRAMKeys(salt: [], iterations: 4096, storedKey: key, serverKey: key) == nil)
        #expect(SCRAMKeys(salt: [1], iterations: 0, storedKey: key, serverKey: key) == nil)
        #expect(SCRAMKeys(salt: [1], iterations: 4096, storedKey: [1], serverKey: key) == nil)
        #expect(SCRAMKeys(salt: [1], iterations: 4096, storedKey: key, serverKey: key + [1]) == nil)
    }

    @Test("descriptions show the policy, never keys or secrets")
    func redacted() {
        let credentials = Fixtures.account("pencil", allowCRAMMD5: true)
        let described = ["\(credentials)", String(reflecting: credentials), "\(credentials.scram!)"]
        var dumped = ""
        dump(credentials, to: &dumped)
        let secretBase64 = Base64.encode(credentials.cramMD5Secret!)
        for text in described + [dumped] {
            #expect(!text.contains("pencil") && !text.contains("112") && !text.contains(secretBase64))
        }
        #expect("\(credentials)" == "StoredCredentials(scram: yes, cramMD5: yes, legacy: no, strongOnly: false)")
        var server = Fixtures.server(.plain)
        _ = server.start(initialResponse: Fixtures.plainMessage("tim", "pencil"))
        var dumpedServer = ""
        dump(server, to: &dumpedServer)
        #expect("\(server)" == "SASLServer(PLAIN)")
        #expect(!dumpedServer.contains("pencil"))
    }
}
