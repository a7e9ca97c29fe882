/// Finds where mail for a domain goes: its mail exchangers, and the addresses of a host.
///
/// `SystemResolver` asks the DNS; tests supply their own answers through this protocol.
///
/// SeeAlso: RFC 5321 §5.1, <https://www.rfc-editor.org/rfc/rfc5321#section-5.1>.
package protocol MXResolving: Sendable {
    /// The mail exchangers of `domain` (its MX records), best first.
    ///
    /// - Throws: `DNSFailure.nonexistentDomain` when the domain does not exist (permanent),
    ///   `DNSFailure.temporary` when no usable answer came (retry later).
    func mailExchangers(for domain: String) async throws(DNSFailure) -> MXAnswer

    /// The IPv6 and IPv4 addresses of `host` (its AAAA and A records) as text; empty when the
    /// host has neither. An IP address given as `host` is returned as it is.
    ///
    /// - Throws: `DNSFailure.nonexistentDomain` when the host does not exist (permanent),
    ///   `DNSFailure.temporary` when no usable answer came (retry later).
    func addresses(for host: String) async throws(DNSFailure) -> [String]
}
