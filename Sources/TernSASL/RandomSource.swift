/// Where the SASL machines get their random octets: SCRAM nonces and salts, CRAM-MD5 challenges,
/// the per-server secret.
///
/// Injected so the machines stay pure and tests can replay published exchanges;
/// production code uses ``SystemRandomSource``.
public protocol RandomSource: Sendable {
    /// Returns `count` random octets.
    mutating func bytes(count: Int) -> [UInt8]
}
