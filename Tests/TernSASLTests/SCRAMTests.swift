import TernSMTPCore
import Testing
import TernSASL

@Suite("SCRAM-SHA-256")
struct SCRAMTests {
    static let rfcSalt = Base64.decode("W22ZaJ0SNY7soEsUEjb6gQ==")!
    static let rfcAccount = StoredCredentials(scram: SCRAMKeys.derive(password: "pencil", salt: rfcSalt, iterations: 4096),
                                              allowCRAMMD5: false, strongOnly: false)
    static let rfcServerFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
    static let rfcClientFinal = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
        + "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
    static let rfcServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

    static func rfcServer() -> SASLServer {
        Fixtures.server(.scramSHA256, random: FixedRandomSource("%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"))
    }

    @Test("RFC 7677 §3 test vector, with an initial response")
    func rfc7677WithInitialResponse() {
        var server = SCRAMTests.rfcServer()
        #expect(server.start(initialResponse: [UInt8]("n,,n=user,r=rOprNGfwEbeRWgbNEkqO")) == .lookUp(username: "user"))
        #expect(server.credentialsFound(SCRAMTests.rfcAccount) == .challenge([UInt8](SCRAMTests.rfcServerFirst)))
        #expect(server.respond([UInt8](SCRAMTests.rfcClientFinal)) == .challenge([UInt8](SCRAMTests.rfcServerFinal)))
        #expect(server.respond([]) == .success(username: "user", upgrade: nil))
    }

    @Test("RFC 7677 §3 test vector, client-first after an empty challenge")
    func rfc7677WithoutInitialResponse() {
        var server = SCRAMTests.rfcServer()
        #expect(server.start(initialResponse: nil) == .challenge([]))
        #expect(server.respond([UInt8]("n,,n=user,r=rOprNGfwEbeRWgbNEkqO")) == .lookUp(username: "user"))
        #expect(server.credentialsFound(SCRAMTests.rfcAccount) == .challenge([UInt8](SCRAMTests.rfcServerFirst)))
        #expect(server.respond([UInt8](SCRAMTests.rfcClientFinal)) == .challenge([UInt8](SCRAMTests.rfcServerFinal)))
        #expect(server.respond([]) == .success(username: "user", upgrade: nil))
    }

    @Test("the stored keys of the RFC 7677 account")
    func rfcKeys() {
        let keys = SCRAMTests.rfcAccount.scram!
        #expect(Base64.encode(keys.storedKey) == "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=")
        #expect(Base64.encode(keys.serverKey) == "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=")
        #expect(keys.verify("pencil"))
        #expect(!keys.verify("pencil "))
    }

    @Test("the server nonce extends the client's with 30 printable characters from the random source")
    func serverNonce() {
        var random: [UInt8] = [0, 0x2C, 0x7F, 0xFF, 0x20]
        random += Array("abcdefghijklmnopqrstuvwxyz0123".utf8)
        var server = Fixtures.server(.scramSHA256, random: FixedRandomSource(random))
        _ = server.start(initialResponse: [UInt8]("n,,n=user,r=clientnonce"))
        #expect(server.credentialsFound(SCRAMTests.rfcAccount)
            == .challenge([UInt8]("r=clientnonceabcdefghijklmnopqrstuvwxyz0123,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")))
    }

    @Test("a wrong password fails at the proof")
    func wrongPassword() {
        let client = SCRAMTestClient(sentUsername: "user", password: "pencil2")
        #expect(client.login(credentials: SCRAMTests.rfcAccount) == .failure(.invalidCredentials))
    }

    @Test("an unknown user gets a normal-looking, stable server-first and fails at the proof")
    func unknownUser() {
        let secret = Fixtures.secret()
        func serverFirst(_ username: String, _ secret: SASLServerSecret) -> [UInt8]? {
            var server = Fixtures.server(.scramSHA256, secret: secret)
            #expect(server.start(initialResponse: [UInt8]("n,,n=\(username),r=abc")) == .lookUp(username: username))
            guard case .challenge(let first) = server.credentialsFound(nil) else { return nil }
            return first
        }
        let first = String(decoding: serverFirst("nobody", secret)!, as: UTF8.self)
        let fields = first.split(separator: ",")
        #expect(fields.count == 3)
        #expect(fields[0].hasPrefix("r=abc") && fields[0].count == "r=abc".count + 30)
        #expect(Base64.decode(fields[1].dropFirst(2))?.count == 16)
        #expect(fields[2] == "i=4096")
        let again = String(decoding: serverFirst("nobody", secret)!, as: UTF8.self)
        #expect(again.split(separator: ",")[1] == fields[1])
        #expect(String(decoding: serverFirst("somebody", secret)!, as: UTF8.self).split(separator: ",")[1] != fields[1])
        // Account names match ASCII case-insensitively, so the decoy must too: otherwise
        // `nobody` and `NoBody` giving different salts would tell that no account exists.
        #expect(String(decoding: serverFirst("NoBody", secret)!, as: UTF8.self).split(separator: ",")[1] == fields[1])
        var otherRandom = FixedRandomSource("another server's secret")
        let otherSecret = SASLServerSecret(random: &otherRandom)
        #expect(String(decoding: serverFirst("nobody", otherSecret)!, as: UTF8.self).split(separator: ",")[1] != fields[1])

        let client = SCRAMTestClient(sentUsername: "nobody", password: "guess")
        #expect(client.login(credentials: nil, secret: secret) == .failure(.invalidCredentials))
    }

    @Test("a tampered nonce fails")
    func nonceTampering() {
        var server = SCRAMTests.rfcServer()
        _ = server.start(initialResponse: [UInt8]("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"))
        _ = server.credentialsFound(SCRAMTests.rfcAccount)
        let tampered = SCRAMTests.rfcClientFinal.replacing("k0,p=", with: "k1,p=")
        #expect(server.respond([UInt8](tampered)) == .failure(.malformed))
    }

    @Test("a proof over a nonce the server did not choose fails", arguments: ["X", ""])
    func nonceExtended(suffix: String) {
        let client = SCRAMTestClient(sentUsername: "user", password: "pencil")
        var server = Fixtures.server(.scramSHA256)
        _ = server.start(initialResponse: client.clientFirst)
        guard case .challenge(let first) = server.credentialsFound(SCRAMTests.rfcAccount) else {
            Issue.record("no server-first")
            return
        }
        let (message, serverFinal) = client.clientFinal(serverFirst: first, nonceSuffix: suffix)
        #expect(server.respond(message) == (suffix.isEmpty ? .challenge(serverFinal) : .failure(.malformed)))
    }

    @Test("a c= that is not the GS2 header sent fails")
    func channelBindingMismatch() {
        let client = SCRAMTestClient(sentUsername: "user", password: "pencil")
        var server = Fixtures.server(.scramSHA256)
        _ = server.start(initialResponse: client.clientFirst)
        guard case .challenge(let first) = server.credentialsFound(SCRAMTests.rfcAccount) else {
            Issue.record("no server-first")
            return
        }
        #expect(server.respond(client.clientFinal(serverFirst: first, channelBinding: "eSws").message) == .failure(.malformed))
    }

    @Test("channel binding (p=) is refused: no -PLUS mechanism is offered",
          arguments: ["p=tls-exporter,,n=user,r=abc", "p=tls-unique,a=user,n=user,r=abc"])
    func channelBindingRefused(clientFirst: String) {
        var server = Fixtures.server(.scramSHA256)
        #expect(server.start(initialResponse: [UInt8](clientFirst)) == .failure(.malformed))
    }

    @Test("GS2 header y,, is accepted and must be echoed as c=eSws")
    func gs2HeaderY() {
        let client = SCRAMTestClient(sentUsername: "user", password: "pencil", gs2Header: "y,,")
        #expect(client.login(credentials: SCRAMTests.rfcAccount) == .success(username: "user", upgrade: nil))
    }

    @Test("an authorization identity equal to the user is accepted, another one fails")
    func authorizationIdentity() {
        let same = SCRAMTestClient(sentUsername: "user", password: "pencil", gs2Header: "n,a=user,")
        #expect(same.login(credentials: SCRAMTests.rfcAccount) == .success(username: "user", upgrade: nil))
        var server = Fixtures.server(.scramSHA256)
        #expect(server.start(initialResponse: [UInt8]("n,a=admin,n=user,r=abc")) == .failure(.malformed))
    }

    @Test("=2C and =3D escapes in the user name")
    func escapes() {
        let account = Fixtures.account("secret")
        var server = Fixtures.server(.scramSHA256)
        #expect(server.start(initialResponse: [UInt8]("n,,n=a=2Cb=3Dc,r=abc")) == .lookUp(username: "a,b=c"))
        let client = SCRAMTestClient(sentUsername: "a=2Cb=3Dc", password: "secret")
        #expect(client.login(credentials: account) == .success(username: "a,b=c", upgrade: nil))
        var unicode = Fixtures.server(.scramSHA256)
        #expect(unicode.start(initialResponse: [UInt8]("n,,n=jürgen=3D,r=abc")) == .lookUp(username: "jürgen="))
        let authorized = SCRAMTestClient(sentUsername: "a=2Cb", password: "secret", gs2Header: "n,a=a=2Cb,")
        #expect(authorized.login(credentials: account) == .success(username: "a,b", upgrade: nil))
    }

    @Test("malformed client-first messages fail", arguments: [
        "", "n,,", "n,,r=abc,n=user", "n,,n=,r=abc", "n,,n=user", "n,,n=user,r=", "x,,n=user,r=abc",
        "n,,n=us=2Xer,r=abc", "n,,n=user=,r=abc", "n,,m=ext,n=user,r=abc", "n,,n=user,r=abc,m=x",
        "n,,n=user,r=a b\u{7F}", "n,n=user,r=abc", "n,,n=user,r=abc,1=x", "n,,n=a=\u{301}b,r=abc", "n,,n=a\u{0}b,r=abc",
        "n,,n=a=2,r=abc", "n,a=,n=user,r=abc",
    ])
    func malformedClientFirst(message: String) {
        var server = Fixtures.server(.scramSHA256)
        #expect(server.start(initialResponse: [UInt8](message)) == .failure(.malformed))
    }

    @Test("an extension in the client-first message is ignored")
    func extensionIgnored() {
        var server = Fixtures.server(.scramSHA256)
        #expect(server.start(initialResponse: [UInt8]("n,,n=user,r=abc,x=whatever")) == .lookUp(username: "user"))
    }

    @Test("malformed client-final messages fail", arguments: [
        "", "c=biws", "c=biws,r=abc", "p=AAAA", "c=bi!s,r=abc,p=AAAA", "c=biws,r=abc,p=AA", "r=abc,c=biws,p=AAAA",
    ])
    func malformedClientFinal(message: String) {
        var server = Fixtures.server(.scramSHA256)
        _ = server.start(initialResponse: [UInt8]("n,,n=user,r=abc"))
        _ = server.credentialsFound(SCRAMTests.rfcAccount)
        #expect(server.respond([UInt8](message)) == .failure(.malformed))
    }

    @Test("a wrong-length proof fails")
    func shortProof() {
        var server = SCRAMTests.rfcServer()
        _ = server.start(initialResponse: [UInt8]("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"))
        _ = server.credentialsFound(SCRAMTests.rfcAccount)
        let short = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9yt=="
        #expect(server.respond([UInt8](short)) == .failure(.malformed))
    }

    @Test("anything but an empty response to the server-final fails")
    func acknowledgement() {
        var server = SCRAMTests.rfcServer()
        _ = server.start(initialResponse: [UInt8]("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"))
        _ = server.credentialsFound(SCRAMTests.rfcAccount)
        _ = server.respond([UInt8](SCRAMTests.rfcClientFinal))
        #expect(server.respond([UInt8]("x")) == .failure(.malformed))
    }

    @Test("calls out of order end the exchange")
    func outOfOrder() {
        var notStarted = Fixtures.server(.scramSHA256)
        #expect(notStarted.respond([]) == .failure(.malformed))
        var startedTwice = Fixtures.server(.scramSHA256)
        #expect(startedTwice.start(initialResponse: nil) == .challenge([]))
        #expect(startedTwice.start(initialResponse: nil) == .failure(.malformed))
        var lookUpPending = Fixtures.server(.scramSHA256)
        _ = lookUpPending.start(initialResponse: [UInt8]("n,,n=user,r=abc"))
        #expect(lookUpPending.respond([]) == .failure(.malformed))
        #expect(lookUpPending.credentialsFound(SCRAMTests.rfcAccount) == .failure(.malformed))
        var unasked = Fixtures.server(.scramSHA256)
        #expect(unasked.credentialsFound(nil) == .failure(.malformed))
    }
}
