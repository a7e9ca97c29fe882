import Testing
import TernSASL

@Suite("Mechanism names")
struct SASLMechanismTests {
    @Test("wire names, case-insensitive")
    func names() {
        #expect(SASLMechanism.allCases.map(\.rawValue) == ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"])
        #expect(SASLMechanism(name: "plain") == .plain)
        #expect(SASLMechanism(name: "Login") == .login)
        #expect(SASLMechanism(name: "cram-md5") == .cramMD5)
        #expect(SASLMechanism(name: "scram-sha-256") == .scramSHA256)
    }

    @Test("unknown names", arguments: ["", "X-UNKNOWN", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-1", "PLAIN ", "logın"])
    func unknown(name: String) {
        #expect(SASLMechanism(name: name) == nil)
    }
}
