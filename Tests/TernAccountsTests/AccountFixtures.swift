import TernAccounts
import TernSASL

/// Credentials of every kind, derived once: key derivation is deliberately slow.
enum AccountFixtures {
    static let password = "correct horse battery staple"

    /// SCRAM keys only.
    static let scram: StoredCredentials = {
        var random = SystemRandomSource()
        return StoredCredentials.create(password: password, allowCRAMMD5: false, strongOnly: false, random: &random)
    }()

    /// SCRAM keys and the CRAM-MD5 secret.
    static let scramAndCRAM: StoredCredentials = {
        var random = SystemRandomSource()
        return StoredCredentials.create(password: password, allowCRAMMD5: true, strongOnly: false, random: &random)
    }()

    /// SCRAM only, by policy.
    static let strongOnly: StoredCredentials = {
        var random = SystemRandomSource()
        return StoredCredentials.create(password: password, allowCRAMMD5: false, strongOnly: true, random: &random)
    }()

    /// An imported `{SSHA256}` hash.
    static let legacySSHA256 = StoredCredentials(
        legacy: .ssha256(digest: Array(0..<32), salt: [0xDE, 0xAD, 0xBE, 0xEF]), allowCRAMMD5: true, strongOnly: false)

    /// Drepper's first published SHA-512 crypt vector, whose password is `Hello world!`.
    static let sha512Crypt =
        "{SHA512-CRYPT}$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"

    /// An imported `{SHA512-CRYPT}` hash, strong-only.
    static let legacySHA512Crypt = StoredCredentials(legacy: LegacyHash(sha512Crypt)!, allowCRAMMD5: false, strongOnly: true)

    /// An account that cannot fail validation.
    static func account(_ name: String, _ credentials: StoredCredentials = scram, addresses: [String] = []) -> Account {
        do {
            return try Account(name: name, credentials: credentials, addresses: addresses)
        } catch {
            preconditionFailure("fixture account \(name): \(error)")
        }
    }
}

/// The CRAM-MD5 secret `tern user add --allow-cram-md5` stores for `password` (it does not
/// depend on the random salt of the SCRAM keys).
func cramSecret(_ password: String) -> [UInt8]? {
    var random = SystemRandomSource()
    return StoredCredentials.create(password: password, allowCRAMMD5: true, strongOnly: false, random: &random).cramMD5Secret
}
