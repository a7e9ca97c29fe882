import CResolv
import TernSMTPCore

/// How each `ResolverContext` is set up: the name servers (none: those of /etc/resolv.conf)
/// and the retry timing.
struct ResolverConfiguration: Sendable {
    /// A name server as the resolver state holds it.
    struct Server: Sendable {
        let address: IPAddress
        /// Host byte order.
        let port: UInt16
    }

    /// At most `MAXNS`; empty for /etc/resolv.conf's.
    let servers: [Server]
    /// Seconds to wait for the first answer; glibc doubles it at each further attempt.
    let timeoutSeconds: Int32
    /// Times the query is sent to each server.
    let attempts: Int32
}
