import Crypto
import TernSMTPCore

/// A secret the server keeps for its lifetime and shares among all ``SASLServer`` exchanges.
///
/// SCRAM must answer an unknown user with a normal-looking server-first message (docs/behaviour.md §13),
/// so the salt it shows must stay the same from one attempt to the next, like a real account's,
/// and must not be computable by the client. It is derived from the user name, ASCII
/// lower-cased as account names are matched, with this secret: `alice` and `ALICE` get the same
/// salt whether or not the account exists. One secret serves the whole process
/// (``forThisProcess``), so every listener shows the same decoys; a restart changes them, not
/// any real salt.
public struct SASLServerSecret: Sendable {
    private let key: SymmetricKey

    /// The secret every listener of this process shares, made on first use.
    public static let forThisProcess: SASLServerSecret = {
        var random = SystemRandomSource()
        return SASLServerSecret(random: &random)
    }()

    /// A new secret of 32 octets from `random`.
    public init(random: inout some RandomSource) {
        key = SymmetricKey(data: random.bytes(count: 32))
    }

    /// The decoy SCRAM keys shown for `username`, which has no account: a stable 16-octet salt,
    /// 4096 iterations and keys no password produces.
    func decoyKeys(for username: String) -> SCRAMKeys {
        let name = username.asciiLowercased
        func derived(_ purpose: String) -> [UInt8] {
            Array(HMAC<SHA256>.authenticationCode(for: Array((purpose + "\u{0}" + name).utf8), using: key))
        }
        guard let keys = SCRAMKeys(salt: Array(derived("salt").prefix(SCRAMKeys.saltLength)),
                                   iterations: SCRAMKeys.minimumIterations,
                                   storedKey: derived("stored key"), serverKey: derived("server key")) else {
            preconditionFailure("decoy keys have the sizes of real ones")
        }
        return keys
    }
}
