import TernSMTPCore
import Testing
import TernSASL

@Suite("SCRAM-SHA-256 client")
struct SCRAMClientTests {
    @Test("RFC 7677 §3 test vector: client-first, client-final, and the server's signature checked")
    func rfc7677() {
        var client = SCRAMClientMechanism(username: "user", password: "pencil", nonce: "rOprNGfwEbeRWgbNEkqO")
        #expect(client.name == "SCRAM-SHA-256")
        #expect(client.start() == [UInt8]("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"))
        #expect(!client.isComplete)
        #expect(client.respond(to: [UInt8](SCRAMTests.rfcServerFirst)) == [UInt8](SCRAMTests.rfcClientFinal))
        #expect(!client.isComplete, "not before the server proved it knows the password")
        #expect(client.respond(to: [UInt8](SCRAMTests.rfcServerFinal)) == [])
        #expect(client.isComplete)
    }

    @Test("a server signature that does not verify cancels, and success is not believed")
    func wrongServerSignature() {
        var client = SCRAMClientMechanism(username: "user", password: "pencil", nonce: "rOprNGfwEbeRWgbNEkqO")
        _ = client.start()
        _ = client.respond(to: [UInt8](SCRAMTests.rfcServerFirst))
        #expect(client.respond(to: [UInt8]("v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")) == nil)
        #expect(!client.isComplete)
    }

    @Test("server-first messages the client refuses", arguments: [
        "r=someoneelse,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  // nonce does not extend the client's
        "r=rOprNGfwEbeRWgbNEkqO,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",  // nothing added by the server
        "r=rOprNGfwEbeRWgbNEkqOx,s=,i=4096",  // no salt
        "r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=0",
        "r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1000001",  // would make the client spin
        "r=rOprNGfwEbeRWgbNEkqOx,i=4096,s=W22ZaJ0SNY7soEsUEjb6gQ==",
        "m=ext,r=rOprNGfwEbeRWgbNEkqOx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        "e=other-error",
    ])
    func refusedServerFirst(serverFirst: String) {
        var client = SCRAMClientMechanism(username: "user", password: "pencil", nonce: "rOprNGfwEbeRWgbNEkqO")
        _ = client.start()
        #expect(client.respond(to: [UInt8](serverFirst)) == nil)
        #expect(!client.isComplete)
    }

    @Test("a user name with , and = is escaped as =2C and =3D")
    func escapedUsername() {
        var client = SCRAMClientMechanism(username: "a,b=c", password: "x", nonce: "n0nce")
        #expect(client.start() == [UInt8]("n,,n=a=2Cb=3Dc,r=n0nce"))
    }

    @Test("against Tern's own server, with a fresh nonce: both sides succeed; a wrong password fails at the proof")
    func againstTheServer() {
        for (password, succeeds) in [("pencil", true), ("pencil2", false)] {
            var client = SCRAMClientMechanism(username: "user", password: password)
            var server = Fixtures.server(.scramSHA256)
            guard case .lookUp(let name) = server.start(initialResponse: client.start()) else {
                Issue.record("the server did not take the client-first message")
                return
            }
            #expect(name == "user")
            guard case .challenge(let serverFirst) = server.credentialsFound(SCRAMTests.rfcAccount),
                  let clientFinal = client.respond(to: serverFirst) else {
                Issue.record("no client-final message")
                return
            }
            let outcome = server.respond(clientFinal)
            if succeeds {
                guard case .challenge(let serverFinal) = outcome else {
                    Issue.record("expected the server-final message, got \(outcome)")
                    return
                }
                #expect(client.respond(to: serverFinal) == [])
                #expect(client.isComplete)
                #expect(server.respond([]) == .success(username: "user", upgrade: nil))
            } else {
                #expect(outcome == .failure(.invalidCredentials))
                #expect(!client.isComplete)
            }
        }
    }
}
