package import Logging
package import NIOSSL
package import TernPolicy
import TernMessage
import TernSMTPCore

/// Relaying as a courier: the recipients of a parcel for other hosts, grouped by destination (a
/// `[routes]` entry or the smarthost, an address literal's host, else the domain's mail
/// exchangers, RFC 5321 §5.1), one job per destination, all handed to the `OutboundDispatcher`
/// at once, which keeps the connection limits and sends jobs for one destination over shared
/// connections.
package struct RelayCourier: Courier, Sendable {
    private let dispatcher: OutboundDispatcher
    private let connections: ConnectionCache
    private let settings: DeliverySettings
    private let hostname: String
    private let logger: Logger

    /// A courier for the routes, smarthost, TLS requirement and connection limits of
    /// `settings`, finding mail exchangers through `resolver`.
    ///
    /// - Parameters:
    ///   - hostname: This server's name, for EHLO and `Received:`.
    ///   - tls: The client context for STARTTLS (`makeClientTLS()`).
    ///   - peerTimeout: The longest wait for a connection, each reply and room to write
    ///     (RFC 5321 §4.5.3.2 allows 5 to 10 minutes; one figure for all).
    ///   - logger: One line per recipient relayed, deferred or failed.
    package init(
        settings: DeliverySettings, resolver: any MXResolving, hostname: String, tls: NIOSSLContext,
        peerTimeout: Duration = .seconds(300), logger: Logger
    ) {
        let connections = ConnectionCache()
        dispatcher = OutboundDispatcher(
            transport: OutboundTransport(
                finder: PeerFinder(resolver: resolver, smtpPort: settings.smtpPort, ownEndpoints: settings.ownEndpoints),
                connections: connections,
                hostname: hostname, tls: tls, requireTLS: settings.requireTLS,
                smarthostLogin: settings.smarthost.flatMap { hop in settings.smarthostLogin.map { (hop, $0) } },
                timeout: peerTimeout, logger: logger),
            concurrency: settings.concurrency, perDestination: settings.perDestination)
        self.connections = connections
        self.settings = settings
        self.hostname = hostname
        self.logger = logger
    }

    /// Ends the connections kept open between batches, each with QUIT; returns once they have
    /// ended. For stopping, after the queue has.
    package func closeConnections() async {
        await connections.closeAll()
    }

    /// The client context for STARTTLS to peers: TLS 1.2 or later, certificates not verified
    /// (RFC 3207 §4.1, opportunistic encryption as mail exchangers practise it).
    package static func makeClientTLS() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = .none
        return try NIOSSLContext(configuration: configuration)
    }

    /// Sends each parcel's recipients, its destinations concurrently; a parcel is decided when
    /// all its destinations are.
    package func deliver(_ parcels: [Parcel], decided: @escaping (Parcel, [Receipt]) async -> Void) async {
        for parcel in parcels {
            await decided(parcel, await send(parcel))
        }
    }

    private func send(_ parcel: Parcel) async -> [Receipt] {
        var groups: [Destination: [Int]] = [:]
        for index in parcel.recipients {
            groups[destination(for: parcel.envelope.recipients[index].target.mailbox), default: []].append(index)
        }
        let jobs = groups.sorted { $0.key.description < $1.key.description }.enumerated().map { number, group in
            (group.key, group.value, OutboundJob(parcel, recipients: group.value, number: number, hostname: hostname))
        }
        return await withTaskGroup(of: [Receipt].self) { group in
            for (destination, indices, job) in jobs {
                group.addTask { [dispatcher, logger] in
                    let receipts = await dispatcher.deliver(job, to: destination)
                        .receipts(for: indices, of: parcel.envelope, logger: logger)
                    DeliveryMetrics.record(receipts, by: destination.lmtp ? .lmtp : .smtp, of: parcel.envelope)
                    return receipts
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
    }

    /// Where mail for `mailbox` goes: its domain's next hop, the host of an address literal,
    /// else the domain's mail exchangers. Never called for a `maildir` route.
    private func destination(for mailbox: Mailbox) -> Destination {
        if let hop = settings.nextHop(for: mailbox.domain) { return .relay(hop) }
        guard case .addressLiteral(let literal) = mailbox.domain else {
            return .mailExchangers(domain: mailbox.domain.normalized)
        }
        // `user@[192.0.2.1]`, `user@[IPv6:2001:db8::1]`: that host, no lookup (RFC 5321 §4.1.3).
        let address = literal.lowercased().hasPrefix("ipv6:") ? String(literal.dropFirst(5)) : literal
        return .relay(.smtp(host: address, port: settings.smtpPort))
    }
}
