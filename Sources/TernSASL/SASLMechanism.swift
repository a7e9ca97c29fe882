/// The SASL mechanisms Tern's AUTH command offers (docs/behaviour.md §13), in the order EHLO advertises them.
///
/// SeeAlso: RFC 4954, RFC 4616 (PLAIN), RFC 2195 (CRAM-MD5), RFC 5802 and RFC 7677 (SCRAM-SHA-256).
public enum SASLMechanism: String, Sendable, Hashable, CaseIterable {
    /// RFC 4616: `authzid NUL authcid NUL passwd` in one response.
    case plain = "PLAIN"
    /// The de-facto LOGIN mechanism: user name and password in two responses.
    case login = "LOGIN"
    /// RFC 2195: keyed MD5 digest of a server challenge; needs a shared secret on the server.
    case cramMD5 = "CRAM-MD5"
    /// RFC 7677: salted challenge-response with SHA-256; the server stores no password equivalent.
    case scramSHA256 = "SCRAM-SHA-256"

    /// The mechanism named `name` on the wire, compared ASCII case-insensitively; `nil` when
    /// Tern does not implement it.
    public init?(name: some StringProtocol) {
        let upper = name.utf8.map(\.asciiUppercased)
        guard let mechanism = SASLMechanism.allCases.first(where: { Array($0.rawValue.utf8) == upper }) else {
            return nil
        }
        self = mechanism
    }
}
