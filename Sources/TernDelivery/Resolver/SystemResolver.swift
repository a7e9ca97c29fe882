import CResolv
package import NIOPosix
package import TernPolicy
import TernSMTPCore

/// Looks up MX, A and AAAA records with the system's stub resolver, glibc's libresolv
/// (`res_ninit`, `res_nquery`, `ns_initparse`, `ns_parserr`, `ns_name_uncompress`,
/// `res_nclose`).
///
/// libresolv ships with Debian's glibc, so this adds no dependency, and its `ns_*` parser reads
/// the answers, so Tern holds no DNS packet code of its own. c-ares was not needed: its gain is
/// non-blocking queries, and here a blocking query on the `NIOThreadPool` does as well at the
/// rate an MTA resolves.
///
/// Each query runs on the thread pool with its own resolver state, set up by `res_ninit` and
/// closed by `res_nclose`, so lookups share nothing and may run at once. The state asks the
/// configured `servers`, at their ports, or those of /etc/resolv.conf when there are none; IPv4
/// and IPv6 servers are both supported (IPv6 ones are stored the way glibc stores those of
/// resolv.conf, in the state's `_u._ext.nsaddrs`). Names are asked as given, never completed
/// from a search list. Queries go over UDP, and over TCP when an answer is truncated.
///
/// SeeAlso: RFC 5321 §5.1, <https://www.rfc-editor.org/rfc/rfc5321#section-5.1>;
/// RFC 7505 (null MX), <https://www.rfc-editor.org/rfc/rfc7505>.
package final class SystemResolver: MXResolving {
    private let configuration: ResolverConfiguration
    private let threadPool: NIOThreadPool

    /// A resolver asking `servers`, or the name servers of /etc/resolv.conf when it is empty.
    ///
    /// - Parameters:
    ///   - servers: IP addresses (no host names, no IPv6 zone) and ports. glibc asks at most
    ///     three (`MAXNS`); further ones are ignored, as in resolv.conf. Anything but an IP
    ///     address and a port in 1...65535 is a programmer error (the configuration is checked
    ///     before it gets here) and stops the program.
    ///   - threadPool: Where the blocking queries run.
    ///   - timeout: The wait for an answer to the first attempt, rounded up to whole seconds
    ///     (glibc's unit), at least one; glibc doubles it at each further attempt. It replaces
    ///     resolv.conf's `timeout` option.
    ///   - attempts: Times each query is sent to each server, at least one. It replaces
    ///     resolv.conf's `attempts` option.
    package init(servers: [NameServer] = [], threadPool: NIOThreadPool, timeout: Duration = .seconds(2), attempts: Int = 2) {
        precondition(attempts >= 1, "a DNS query needs at least one attempt")
        let servers = servers.prefix(Int(MAXNS)).map { server in
            guard let address = IPAddress(server.address), let port = UInt16(exactly: server.port), port > 0 else {
                preconditionFailure("name server \(server) is not an IP address and a port")
            }
            return ResolverConfiguration.Server(address: address, port: port)
        }
        let (seconds, attoseconds) = timeout.components
        configuration = ResolverConfiguration(
            servers: Array(servers),
            timeoutSeconds: Int32(clamping: max(1, seconds + (attoseconds > 0 ? 1 : 0))),
            attempts: Int32(clamping: attempts))
        self.threadPool = threadPool
    }

    package func mailExchangers(for domain: String) async throws(DNSFailure) -> MXAnswer {
        let records = try await lookUp(domain, type: ns_t_mx) { answer throws(DNSFailure) in
            try answer.mailExchangers()
        }
        var generator = SystemRandomNumberGenerator()
        return MXAnswer(records: records, using: &generator)
    }

    /// IPv6 addresses come first, then IPv4 ones, each in the server's order. Both queries run
    /// at once; when one fails and the other finds addresses, those are the answer.
    package func addresses(for host: String) async throws(DNSFailure) -> [String] {
        if IPAddress(host) != nil { return [host] }
        async let ipv6 = outcome(of: host, type: ns_t_aaaa)
        async let ipv4 = outcome(of: host, type: ns_t_a)
        let outcomes = await [ipv6, ipv4]
        let found = outcomes.flatMap { (try? $0.get()) ?? [] }
        if !found.isEmpty { return found }
        let failures = outcomes.compactMap { outcome -> DNSFailure? in
            guard case .failure(let failure) = outcome else { return nil }
            return failure
        }
        // A failure that may pass outweighs one that says the host does not exist.
        if let failure = failures.first(where: { if case .temporary = $0 { true } else { false } }) ?? failures.first {
            throw failure
        }
        return []
    }

    private func outcome(of host: String, type: ns_type) async -> Result<[String], DNSFailure> {
        do throws(DNSFailure) {
            return .success(try await lookUp(host, type: type) { answer throws(DNSFailure) in
                try answer.addresses(ofType: type)
            })
        } catch {
            return .failure(error)
        }
    }

    /// Asks for `type` records of `name` on the thread pool and reads the answer with `read`;
    /// an empty list when the name has no such records.
    private func lookUp<Value: Sendable>(
        _ name: String, type: ns_type, read: @escaping @Sendable (DNSAnswer) throws(DNSFailure) -> [Value]
    ) async throws(DNSFailure) -> [Value] {
        let configuration = self.configuration
        let result: Result<[Value], DNSFailure>
        do {
            result = try await threadPool.runIfActive {
                Result { () throws(DNSFailure) -> [Value] in
                    let context = try ResolverContext(configuration)
                    guard let answer = try context.query(name, type: type) else { return [] }
                    return try read(answer)
                }
            }
        } catch {
            // The pool has been shut down, or the task was cancelled before the query ran.
            throw .temporary("\(name): the lookup did not run (\(error))")
        }
        let record: DeliveryMetrics.RecordType = type == ns_t_mx ? .mx : type == ns_t_aaaa ? .aaaa : .a
        switch result {
        case .success(let values): DeliveryMetrics.lookedUp(record, result: values.isEmpty ? .nodata : .ok)
        case .failure(.nonexistentDomain): DeliveryMetrics.lookedUp(record, result: .nxdomain)
        case .failure(.temporary): DeliveryMetrics.lookedUp(record, result: .failed)
        }
        return try result.get()
    }
}
