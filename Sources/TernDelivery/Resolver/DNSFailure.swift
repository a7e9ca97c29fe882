/// Why a DNS lookup gave no answer to use.
package enum DNSFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// The name does not exist (NXDOMAIN), or cannot be a DNS name at all: a permanent failure.
    /// Carries the name.
    case nonexistentDomain(String)
    /// No usable answer now: server failure, refusal, timeout, no name server reachable, a
    /// malformed answer, or the lookup was cancelled. Retry later. Carries an explanation for
    /// the log.
    case temporary(String)

    /// A short explanation for logs and failure reports.
    package var description: String {
        switch self {
        case .nonexistentDomain(let name): "no such domain: \(name)"
        case .temporary(let reason): "temporary DNS failure: \(reason)"
        }
    }
}
