import Crypto
import TernSMTPCore
import Testing
import TernSASL

@Suite("CRAM-MD5")
struct CRAMMD5Tests {
    static let account = Fixtures.account("tanstaaftanstaaf", allowCRAMMD5: true)
    static let rfcChallenge = "<1896.697170952@postoffice.reston.mci.net>"

    /// A server whose random source yields 1896 and 697170952, RFC 2195's example numbers.
    static func rfcServer() -> SASLServer {
        let numbers: [UInt32] = [1896, 697_170_952]
        let octets = numbers.flatMap { number in (0..<4).reversed().map { UInt8(truncatingIfNeeded: number >> ($0 * 8)) } }
        return Fixtures.server(.cramMD5, hostname: "postoffice.reston.mci.net", random: FixedRandomSource(octets))
    }

    /// A whole CRAM-MD5 exchange in which the client answers with HMAC-MD5(`password`,
    /// challenge): the step after the account lookup.
    static func login(_ username: String, password: [UInt8], credentials: StoredCredentials?,
                      random: FixedRandomSource = FixedRandomSource([1, 2, 3, 4, 5, 6, 7, 8])) -> SASLStep {
        var server = Fixtures.server(.cramMD5, random: random)
        guard case .challenge(let challenge) = server.start(initialResponse: nil) else { return .failure(.malformed) }
        let code = HMAC<Insecure.MD5>.authenticationCode(for: challenge, using: SymmetricKey(data: password))
        #expect(server.respond([UInt8]("\(username) \(Array(code).hex)")) == .lookUp(username: username))
        return server.credentialsFound(credentials)
    }

    @Test("RFC 2195 example")
    func rfc2195() {
        var server = CRAMMD5Tests.rfcServer()
        #expect(server.start(initialResponse: nil) == .challenge([UInt8](CRAMMD5Tests.rfcChallenge)))
        #expect(server.respond([UInt8]("tim b913a602c7eda7a495b4e6e7334d3890")) == .lookUp(username: "tim"))
        #expect(server.credentialsFound(CRAMMD5Tests.account) == .success(username: "tim", upgrade: nil))
    }

    @Test("the stored secret is the 32-octet HMAC-MD5 context, not the password")
    func secretIsNotThePassword() throws {
        let secret = try #require(CRAMMD5Tests.account.cramMD5Secret)
        #expect(secret.count == StoredCredentials.cramMD5SecretByteCount && secret.count == 32)
        #expect(!secret.isEmpty && secret != [UInt8]("tanstaaftanstaaf"))
        #expect(Base64.encode(secret) != Base64.encode([UInt8]("tanstaaftanstaaf")))
        // Dovecot's `{CRAM-MD5}` value of "password", as `doveadm pw -s CRAM-MD5` writes it.
        #expect(Fixtures.account("password", allowCRAMMD5: true).cramMD5Secret?.hex
            == "9186d855e11eba527a7a52ca82b313e180d62234f0acc9051b527243d41e2740")
    }

    @Test("passwords around the block size (and longer ones, hashed first) and non-ASCII ones log in; others do not",
          arguments: [1, 15, 16, 55, 56, 63, 64, 65, 80, 100])
    func passwordLengths(length: Int) {
        var generator = SeededGenerator(seed: UInt64(length))
        let password = String((0..<length).map { _ in Character(Unicode.Scalar(UInt8.random(in: 0x21...0x7E, using: &generator))) })
        let account = Fixtures.account(password, allowCRAMMD5: true)
        #expect(CRAMMD5Tests.login("tim", password: [UInt8](password), credentials: account) == .success(username: "tim", upgrade: nil))
        #expect(CRAMMD5Tests.login("tim", password: [UInt8](password + "x"), credentials: account) == .failure(.invalidCredentials))
        #expect(CRAMMD5Tests.login("tim", password: [UInt8](String(password.dropLast())), credentials: account)
            == .failure(.invalidCredentials))
        let unicode = "pässwörd ünïcode " + password
        #expect(CRAMMD5Tests.login("tim", password: [UInt8](unicode), credentials: Fixtures.account(unicode, allowCRAMMD5: true))
            == .success(username: "tim", upgrade: nil))
    }

    @Test("random passwords and challenges verify like Crypto's HMAC-MD5")
    func randomExchanges() {
        var generator = SeededGenerator(seed: 2195)
        for _ in 0..<50 {
            let password = String(decoding: generator.octets(Int.random(in: 1...100, using: &generator)).map { $0 & 0x7F | 0x20 },
                                  as: UTF8.self)
            let random = FixedRandomSource(generator.octets(8))
            let account = Fixtures.account(password, allowCRAMMD5: true)
            #expect(CRAMMD5Tests.login("tim", password: [UInt8](password), credentials: account, random: random)
                == .success(username: "tim", upgrade: nil))
        }
    }

    @Test("a stored secret that is not a 32-octet context (such as a plain password) never verifies",
          arguments: [[], [UInt8]("tanstaaftanstaaf"), [UInt8](repeating: 0, count: 31), [UInt8](repeating: 0, count: 33)])
    func wrongSecretLength(secret: [UInt8]) {
        let account = StoredCredentials(scram: CRAMMD5Tests.account.scram, cramMD5Secret: secret, allowCRAMMD5: true,
                                        strongOnly: false)
        var server = CRAMMD5Tests.rfcServer()
        _ = server.start(initialResponse: nil)
        _ = server.respond([UInt8]("tim b913a602c7eda7a495b4e6e7334d3890"))
        #expect(server.credentialsFound(account) == .failure(.invalidCredentials))
    }

    @Test("upper-case hex digits are accepted")
    func upperCaseDigest() {
        var server = CRAMMD5Tests.rfcServer()
        _ = server.start(initialResponse: nil)
        #expect(server.respond([UInt8]("tim B913A602C7EDA7A495B4E6E7334D3890")) == .lookUp(username: "tim"))
        #expect(server.credentialsFound(CRAMMD5Tests.account) == .success(username: "tim", upgrade: nil))
    }

    @Test("the challenge is <digits.digits@hostname> and differs between exchanges")
    func challengeShape() {
        var first = Fixtures.server(.cramMD5, random: FixedRandomSource([0, 0, 0, 1, 0, 0, 0, 2]))
        #expect(first.start(initialResponse: nil) == .challenge([UInt8]("<1.2@mx.example.com>")))
        var second = Fixtures.server(.cramMD5, random: FixedRandomSource([0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 1, 0]))
        #expect(second.start(initialResponse: nil) == .challenge([UInt8]("<4294967295.256@mx.example.com>")))
    }

    @Test("a wrong digest or an unknown user fails as invalid credentials")
    func wrongCredentials() {
        var wrong = CRAMMD5Tests.rfcServer()
        _ = wrong.start(initialResponse: nil)
        _ = wrong.respond([UInt8]("tim b913a602c7eda7a495b4e6e7334d3891"))
        #expect(wrong.credentialsFound(CRAMMD5Tests.account) == .failure(.invalidCredentials))
        var unknown = CRAMMD5Tests.rfcServer()
        _ = unknown.start(initialResponse: nil)
        _ = unknown.respond([UInt8]("tim b913a602c7eda7a495b4e6e7334d3890"))
        #expect(unknown.credentialsFound(nil) == .failure(.invalidCredentials))
    }

    @Test("an account without a CRAM-MD5 secret fails as invalid credentials")
    func noSecret() {
        var server = CRAMMD5Tests.rfcServer()
        _ = server.start(initialResponse: nil)
        _ = server.respond([UInt8]("tim b913a602c7eda7a495b4e6e7334d3890"))
        #expect(server.credentialsFound(Fixtures.account("tanstaaftanstaaf")) == .failure(.invalidCredentials))
    }

    @Test("an initial response is refused")
    func initialResponse() {
        var server = CRAMMD5Tests.rfcServer()
        #expect(server.start(initialResponse: [UInt8]("tim")) == .failure(.malformed))
    }

    @Test("malformed responses fail", arguments: [
        "", "tim", "timb913a602c7eda7a495b4e6e7334d3890", " b913a602c7eda7a495b4e6e7334d3890",
        "tim b913a602c7eda7a495b4e6e7334d389", "tim b913a602c7eda7a495b4e6e7334d3890aa", "tim g913a602c7eda7a495b4e6e7334d3890",
        "tim b913a602c7eda7a495b4e6e7334d3890 ",
    ])
    func malformed(response: String) {
        var server = CRAMMD5Tests.rfcServer()
        _ = server.start(initialResponse: nil)
        #expect(server.respond([UInt8](response)) == .failure(.malformed))
    }

    @Test("a user name with a space: the digest follows the last space")
    func spaceInUsername() {
        var server = CRAMMD5Tests.rfcServer()
        _ = server.start(initialResponse: nil)
        #expect(server.respond([UInt8]("tim smith b913a602c7eda7a495b4e6e7334d3890")) == .lookUp(username: "tim smith"))
    }
}
