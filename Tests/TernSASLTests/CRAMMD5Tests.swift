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

    @Test("RFC 2195 example")
    func rfc2195() {
        var server = CRAMMD5Tests.rfcServer()
        #expect(server.start(initialResponse: nil) == .challenge([UInt8](CRAMMD5Tests.rfcChallenge)))
        #expect(server.respond([UInt8]("tim b913a602c7eda7a495b4e6e7334d3890")) == .lookUp(username: "tim"))
        #expect(server.credentialsFound(CRAMMD5Tests.account) == .success(username: "tim", upgrade: nil))
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
