import Crypto

/// A secret the server keeps for its lifetime and shares among all ``SASLServer`` exchanges.
///
/// SCRAM must answer an unknown user with a normal-looking server-first message (docs/behaviour.md §13),
/// so the salt it shows must stay the same from one attempt to the next, like a real account's,
/// and must not be computable by the client. It is derived from the user name with this secret.
/// Create one when the daemon starts; a restart changes the decoy salts, not any real one.
public struct SASLServerSecret: Sendable {
    private let key: SymmetricKey

    /// A new secret of 32 octets from `random`.
    public init(random: inout some RandomSource) {
        key = SymmetricKey(data: random.bytes(count: 32))
    }

    /// The decoy SCRAM keys shown for `username`, which has no account: a stable 16-octet salt,
    /// 4096 iterations and keys no password produces.
    func decoyKeys(for username: String) -> SCRAMKeys {
        func derived(_ purpose: String) -> [UInt8] {
            Array(HMAC<SHA256>.authenticationCode(for: Array((purpose + "\u{0}" + username).utf8), using: key))
        }
        guard let keys = SCRAMKeys(salt: Array(derived("salt").prefix(SCRAMKeys.saltLength)),
                                   iterations: SCRAMKeys.minimumIterations,
                                   storedKey: derived("stored key"), serverKey: derived("server key")) else {
            preconditionFailure("decoy keys have the sizes of real ones")
        }
        return keys
    }
}
