import Crypto
import _CryptoExtras

/// What the server stores for SCRAM-SHA-256 (RFC 5802 §3 with SHA-256, RFC 7677): the salt, the
/// iteration count, `StoredKey = H(ClientKey)` and `ServerKey`, validated once (the fields are
/// constants). Neither key lets anyone log in without the password, and the password cannot be
/// recovered from them except by guessing.
///
/// Normalisation: RFC 5802 asks for SASLprep (RFC 4013) of the password before `Hi()`. Tern
/// uses the password's UTF-8 octets as they are, which is the same for ASCII passwords; a
/// password with characters SASLprep would map must be typed the same way by every client.
public struct SCRAMKeys: Sendable, Hashable {
    /// The iteration count of new keys, RFC 7677's minimum.
    public static let minimumIterations = 4096
    /// The salt length of new keys, in octets.
    public static let saltLength = 16

    /// The salt given to `Hi()`, sent to the client in the server-first message.
    public let salt: [UInt8]
    /// The iteration count of `Hi()`.
    public let iterations: Int
    /// `H(ClientKey)`: proofs are checked against it.
    public let storedKey: [UInt8]
    /// `HMAC(SaltedPassword, "Server Key")`: signs the server-final message.
    public let serverKey: [UInt8]

    /// Keys as loaded from storage; `nil` unless the salt is non-empty, the iteration count is
    /// positive and both keys are SHA-256 sized (32 octets).
    public init?(salt: [UInt8], iterations: Int, storedKey: [UInt8], serverKey: [UInt8]) {
        guard !salt.isEmpty, iterations > 0,
              storedKey.count == SHA256.byteCount, serverKey.count == SHA256.byteCount else { return nil }
        self.salt = salt
        self.iterations = iterations
        self.storedKey = storedKey
        self.serverKey = serverKey
    }

    /// Derives the keys of `password` with the given salt and iteration count
    /// (`SaltedPassword = Hi(password, salt, i)`, PBKDF2-HMAC-SHA-256).
    ///
    /// - Precondition: `iterations > 0` and `salt` is not empty.
    public static func derive(password: String, salt: [UInt8], iterations: Int) -> SCRAMKeys {
        precondition(iterations > 0 && !salt.isEmpty, "SCRAM needs a salt and at least one iteration")
        let salted = saltedPassword(password, salt: salt, iterations: iterations)
        let clientKey = hmac(salted, "Client Key")
        guard let keys = SCRAMKeys(salt: salt, iterations: iterations,
                                   storedKey: Array(SHA256.hash(data: clientKey)),
                                   serverKey: hmac(salted, "Server Key")) else {
            preconditionFailure("derived keys are always valid")
        }
        return keys
    }

    /// Derives the keys of `password` with a fresh 16-octet salt and ``minimumIterations``,
    /// as for a new account or a password change.
    public static func derive(password: String, random: inout some RandomSource) -> SCRAMKeys {
        derive(password: password, salt: random.bytes(count: saltLength), iterations: minimumIterations)
    }

    /// Whether `password` derives these keys (used to check PLAIN and LOGIN passwords),
    /// compared in constant time.
    public func verify(_ password: String) -> Bool {
        let candidate = SCRAMKeys.derive(password: password, salt: salt, iterations: iterations)
        return ConstantTime.equal(candidate.storedKey, storedKey) && ConstantTime.equal(candidate.serverKey, serverKey)
    }

    static func saltedPassword(_ password: String, salt: [UInt8], iterations: Int) -> SymmetricKey {
        do {
            return try KDF.Insecure.PBKDF2.deriveKey(from: Array(password.utf8), salt: salt, using: .sha256,
                                                     outputByteCount: SHA256.byteCount,
                                                     unsafeUncheckedRounds: iterations)
        } catch {
            preconditionFailure("PBKDF2 fails only for zero iterations, which callers exclude")
        }
    }

    static func hmac(_ key: SymmetricKey, _ text: String) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: key))
    }
}

extension SCRAMKeys: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// `SCRAMKeys(<redacted>)`: key material never reaches a log.
    public var description: String { "SCRAMKeys(<redacted>)" }
    /// Same as ``description``.
    public var debugDescription: String { description }
    /// A mirror without children, so `dump` shows no key material.
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
