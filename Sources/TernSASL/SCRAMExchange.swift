import TernSMTPCore
import Crypto

/// A SCRAM-SHA-256 exchange after the server-first message: what checking the client-final
/// message needs (RFC 5802 §3, §5.1).
struct SCRAMExchange {
    let username: String
    let keys: SCRAMKeys
    // A decoy exchange (unknown user) computes the same proof check and then fails.
    let isKnownUser: Bool
    let gs2Header: [UInt8]
    let nonce: String
    // `client-first-message-bare "," server-first-message`, the start of the AuthMessage.
    let authMessagePrefix: String
    let serverFirst: String

    init(clientFirst: SCRAMClientFirst, keys: SCRAMKeys, isKnownUser: Bool, serverNonce: String) {
        username = clientFirst.username
        self.keys = keys
        self.isKnownUser = isKnownUser
        gs2Header = clientFirst.gs2Header
        nonce = clientFirst.nonce + serverNonce
        serverFirst = "r=\(nonce),s=\(Base64.encode(keys.salt)),i=\(keys.iterations)"
        authMessagePrefix = clientFirst.bare + "," + serverFirst
    }

    /// The server-final message `v=base64(ServerSignature)` when `clientFinal` echoes the GS2
    /// header and nonce and proves knowledge of the password; otherwise throws the failure.
    func verify(_ clientFinal: SCRAMClientFinal) throws(SASLFailure) -> String {
        guard ConstantTime.equal(clientFinal.channelBinding, gs2Header),
              ConstantTime.equal(Array(clientFinal.nonce.utf8), Array(nonce.utf8)),
              clientFinal.proof.count == SHA256.byteCount else { throw .malformed }
        let authMessage = Array((authMessagePrefix + "," + clientFinal.withoutProof).utf8)
        let clientSignature = HMAC<SHA256>.authenticationCode(for: authMessage, using: SymmetricKey(data: keys.storedKey))
        let clientKey = zip(clientFinal.proof, clientSignature).map { $0 ^ $1 }
        let proofMatches = ConstantTime.equal(Array(SHA256.hash(data: clientKey)), keys.storedKey)
        guard proofMatches && isKnownUser else { throw .invalidCredentials }
        let serverSignature = HMAC<SHA256>.authenticationCode(for: authMessage, using: SymmetricKey(data: keys.serverKey))
        return "v=" + Base64.encode(Array(serverSignature))
    }
}
