/// Everything the server keeps about one account's password and AUTH policy (docs/behaviour.md §13;
/// docs/configuration.md `tern user`). The daemon persists it; TernSASL only defines and derives it.
public struct StoredCredentials: Sendable, Hashable {
    /// The SCRAM-SHA-256 keys; `nil` for an account imported with only a legacy hash.
    public var scram: SCRAMKeys?
    /// The secret CRAM-MD5 needs: the precomputed HMAC-MD5 context of the password, never the
    /// password itself. That is ``cramMD5SecretByteCount`` (32) octets: the MD5 chaining state
    /// after the block `key ⊕ opad`, then the one after `key ⊕ ipad` (RFC 2104 §4), each as four
    /// 32-bit words least significant octet first, where `key` is the password's UTF-8 octets,
    /// or their MD5 digest when longer than 64 octets. This is the layout of Dovecot's
    /// `{CRAM-MD5}` scheme (whose hex value decodes to the same octets). It answers any
    /// challenge like the password does (RFC 2195 §4), hence is kept only when the account
    /// allows CRAM-MD5; a value of another length never verifies.
    public var cramMD5Secret: [UInt8]?
    /// A hash imported from another server, until the first PLAIN or LOGIN login replaces it.
    public var legacy: LegacyHash?
    /// Whether the account may use CRAM-MD5 (`--allow-cram-md5`); decides whether a password
    /// transition also stores ``cramMD5Secret``.
    public var allowCRAMMD5: Bool
    /// Whether only SCRAM-SHA-256 is allowed (`--strong-only`): PLAIN, LOGIN and CRAM-MD5
    /// fail with ``SASLFailure/mechanismTooWeak``.
    public var strongOnly: Bool

    /// The length of ``cramMD5Secret``, in octets.
    public static let cramMD5SecretByteCount = HMACMD5Context.byteCount

    /// Credentials as loaded from storage, or for an imported account
    /// (`StoredCredentials(legacy: hash, …)`).
    public init(scram: SCRAMKeys? = nil, cramMD5Secret: [UInt8]? = nil, legacy: LegacyHash? = nil,
                allowCRAMMD5: Bool, strongOnly: Bool) {
        self.scram = scram
        self.cramMD5Secret = cramMD5Secret
        self.legacy = legacy
        self.allowCRAMMD5 = allowCRAMMD5
        self.strongOnly = strongOnly
    }

    /// Credentials for a new account or a password change: fresh SCRAM keys (16-octet salt,
    /// 4096 iterations) and, when `allowCRAMMD5` is set and `strongOnly` is not (a strong-only
    /// account could never use it), the CRAM-MD5 secret (the password's HMAC-MD5 context). No
    /// legacy hash.
    public static func create(password: String, allowCRAMMD5: Bool, strongOnly: Bool,
                              random: inout some RandomSource) -> StoredCredentials {
        StoredCredentials(scram: SCRAMKeys.derive(password: password, random: &random),
                          cramMD5Secret: allowCRAMMD5 && !strongOnly ? HMACMD5Context(password: password).octets : nil,
                          legacy: nil, allowCRAMMD5: allowCRAMMD5, strongOnly: strongOnly)
    }

    /// The password transition: the same account and policy with keys derived from
    /// `password` (which a PLAIN or LOGIN login just proved), the CRAM-MD5 secret computed
    /// from it when the policy keeps one, and the legacy hash dropped.
    public func upgraded(password: String, random: inout some RandomSource) -> StoredCredentials {
        StoredCredentials.create(password: password, allowCRAMMD5: allowCRAMMD5, strongOnly: strongOnly,
                                 random: &random)
    }
}

extension StoredCredentials: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The policy flags only; keys, secret and hash are never described.
    public var description: String {
        "StoredCredentials(scram: \(scram == nil ? "no" : "yes"), cramMD5: \(cramMD5Secret == nil ? "no" : "yes"), "
            + "legacy: \(legacy == nil ? "no" : "yes"), strongOnly: \(strongOnly))"
    }
    /// Same as ``description``.
    public var debugDescription: String { description }
    /// A mirror with the policy flags only, so `dump` shows no secret.
    public var customMirror: Mirror {
        Mirror(self, children: ["allowCRAMMD5": allowCRAMMD5, "strongOnly": strongOnly])
    }
}
