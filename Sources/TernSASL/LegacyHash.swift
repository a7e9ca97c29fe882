import TernSMTPCore
import Crypto

/// A password hash imported from another server (`tern user import`, docs/behaviour.md §13 "Password
/// transition"). It can check a password sent by PLAIN or LOGIN, but CRAM-MD5 and SCRAM need
/// secrets that cannot be derived from it.
public enum LegacyHash: Sendable, Hashable {
    /// `{SSHA256}`: `digest` is SHA-256(password ‖ salt).
    case ssha256(digest: [UInt8], salt: [UInt8])
    /// `{SHA512-CRYPT}`: the glibc `crypt` string `$6$[rounds=N$]salt$checksum`.
    case sha512Crypt(String)

    private static let ssha256Scheme = "{SSHA256}"
    private static let sha512CryptScheme = "{SHA512-CRYPT}"

    /// Parses a hash in Dovecot's scheme notation (scheme names compared case-insensitively):
    /// `{SSHA256}<base64 of SHA-256(password ‖ salt) ‖ salt>` with a salt of at least one
    /// octet, or `{SHA512-CRYPT}$6$[rounds=N$]salt$checksum`. `nil` for anything else.
    public init?(_ text: String) {
        if let payload = LegacyHash.payload(of: text, scheme: LegacyHash.ssha256Scheme) {
            guard let octets = Base64.decode(payload), octets.count > SHA256.byteCount else { return nil }
            self = .ssha256(digest: Array(octets.prefix(SHA256.byteCount)), salt: Array(octets.dropFirst(SHA256.byteCount)))
        } else if let payload = LegacyHash.payload(of: text, scheme: LegacyHash.sha512CryptScheme) {
            guard SHA512Crypt(payload) != nil else { return nil }
            self = .sha512Crypt(String(payload))
        } else {
            return nil
        }
    }

    /// The hash in the notation ``init(_:)`` reads, for storage.
    public var encoded: String {
        switch self {
        case .ssha256(let digest, let salt): LegacyHash.ssha256Scheme + Base64.encode(digest + salt)
        case .sha512Crypt(let hash): LegacyHash.sha512CryptScheme + hash
        }
    }

    /// Whether `password` (as UTF-8) matches the hash, compared in constant time.
    public func verify(_ password: String) -> Bool {
        switch self {
        case .ssha256(let digest, let salt):
            var context = SHA256()
            context.update(data: Array(password.utf8))
            context.update(data: salt)
            return ConstantTime.equal(Array(context.finalize()), digest)
        case .sha512Crypt(let hash):
            return SHA512Crypt(hash)?.verify(password) ?? false
        }
    }

    private static func payload(of text: String, scheme: String) -> Substring? {
        guard text.utf8.count >= scheme.utf8.count,
              text.utf8.prefix(scheme.utf8.count).elementsEqual(scheme.utf8, by: { $0.asciiUppercased == $1 }) else {
            return nil
        }
        return Substring(text.utf8.dropFirst(scheme.utf8.count))
    }
}

extension LegacyHash: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// `LegacyHash(<redacted>)`: a hash can be attacked offline, so it never reaches a log.
    public var description: String { "LegacyHash(<redacted>)" }
    /// Same as ``description``.
    public var debugDescription: String { description }
    /// A mirror without children, so `dump` shows no hash.
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
