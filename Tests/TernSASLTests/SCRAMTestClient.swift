import TernSMTPCore
import Crypto
import _CryptoExtras
import TernSASL
import Testing

/// The client side of SCRAM-SHA-256, written from RFC 5802 §3 for the tests.
struct SCRAMTestClient {
    /// The user name as sent, already escaped.
    var sentUsername: String
    var password: String
    var nonce = "fyko+d2lbbFgONRv9qkxdawL"
    var gs2Header = "n,,"

    var bare: String { "n=\(sentUsername),r=\(nonce)" }
    var clientFirst: [UInt8] { Array((gs2Header + bare).utf8) }

    /// The client-final message answering `serverFirst`, and the server-final message expected back.
    func clientFinal(serverFirst: [UInt8], channelBinding: String? = nil, nonceSuffix: String = "")
        -> (message: [UInt8], serverFinal: [UInt8]) {
        let serverFirstText = String(decoding: serverFirst, as: UTF8.self)
        var attributes: [Character: Substring] = [:]
        for field in serverFirstText.split(separator: ",") { attributes[field.first!] = field.dropFirst(2) }
        let salt = Base64.decode(attributes["s"]!)!
        let iterations = Int(attributes["i"]!)!
        let salted = try! KDF.Insecure.PBKDF2.deriveKey(from: Array(password.utf8), salt: salt, using: .sha256,
                                                        outputByteCount: 32, unsafeUncheckedRounds: iterations)
        let clientKey = Array(HMAC<SHA256>.authenticationCode(for: Array("Client Key".utf8), using: salted))
        let storedKey = SymmetricKey(data: SHA256.hash(data: clientKey))
        let serverKey = SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array("Server Key".utf8), using: salted))
        let withoutProof = "c=\(channelBinding ?? Base64.encode(Array(gs2Header.utf8))),r=\(attributes["r"]!)\(nonceSuffix)"
        let authMessage = Array("\(bare),\(serverFirstText),\(withoutProof)".utf8)
        let signature = HMAC<SHA256>.authenticationCode(for: authMessage, using: storedKey)
        let proof = zip(clientKey, signature).map { $0 ^ $1 }
        let serverSignature = Array(HMAC<SHA256>.authenticationCode(for: authMessage, using: serverKey))
        return (Array("\(withoutProof),p=\(Base64.encode(proof))".utf8),
                Array("v=\(Base64.encode(serverSignature))".utf8))
    }

    /// A whole exchange with an initial response against `credentials`: the last step.
    func login(credentials: StoredCredentials?, expectedUsername: String? = nil,
               secret: SASLServerSecret = Fixtures.secret()) -> SASLStep {
        var server = Fixtures.server(.scramSHA256, secret: secret)
        let lookUp = server.start(initialResponse: clientFirst)
        guard case .lookUp = lookUp else { return lookUp }
        let first = server.credentialsFound(credentials)
        guard case .challenge(let serverFirst) = first else { return first }
        let (message, serverFinal) = clientFinal(serverFirst: serverFirst)
        let final = server.respond(message)
        guard case .challenge(let received) = final else { return final }
        #expect(received == serverFinal)
        return server.respond([])
    }
}
