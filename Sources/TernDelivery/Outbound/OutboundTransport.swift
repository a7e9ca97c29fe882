import Logging
import NIOCore
import NIOPosix
import NIOSSL
import TernPolicy
import TernSASL
import TernSMTPClient
import TernSMTPCore

/// Sends a batch of jobs to a destination over one connection at a time: to its first host,
/// and the messages that host deferred entirely to the next (RFC 5321 §5.1); over a connection
/// kept from an earlier batch when there is one.
struct OutboundTransport: OutboundSending {
    let finder: PeerFinder
    let connections: ConnectionCache
    /// The name in EHLO and LHLO.
    let hostname: String
    /// The client context for STARTTLS; certificates are not verified (opportunistic TLS,
    /// RFC 3207 §4.1: most mail exchangers have no certificate for the MX name).
    let tls: NIOSSLContext
    /// `[delivery] require_tls`, for SMTP destinations.
    let requireTLS: Bool
    /// The smarthost and the account Tern authenticates as there, if any.
    let smarthostLogin: (hop: NextHop, login: SmarthostLogin)?
    /// The longest wait for a connection, each reply and room to write (RFC 5321 §4.5.3.2
    /// allows 5 to 10 minutes; one figure for all).
    let timeout: Duration
    let logger: Logger

    /// Outcomes by job id (`OutboundMessage.id`), one for every job.
    func send(_ jobs: [OutboundJob], to destination: Destination) async -> [String: OutboundOutcome] {
        let candidates: [PeerCandidate]
        switch await finder.candidates(for: destination) {
        case .none(let reply):
            logger.info("no route", metadata: ["destination": "\(destination)", "reply": "\(reply)"])
            return Dictionary(uniqueKeysWithValues: jobs.map { job in
                (job.message.id, OutboundOutcome(result: job.message.outcomeForAll(reply), remoteMTA: nil))
            })
        case .found(let found):
            candidates = found
        }
        let bodies = Dictionary(uniqueKeysWithValues: jobs.map { ($0.message.id, $0.body) })
        let body: ConnectionCache.Connection.BodyProvider = { bodies[$0]! }
        let socket = if case .relay(.lmtpSocket) = destination { true } else { false }
        let configuration = ClientSessionConfiguration(
            hostname: hostname, lmtp: destination.lmtp, requireTLS: requireTLS && !destination.lmtp,
            tlsAvailable: !socket, credentials: credentials(for: destination))
        var remaining = jobs
        var outcomes: [String: OutboundOutcome] = [:]
        for (index, candidate) in candidates.enumerated() {
            // Stopping: what the last host deferred stays deferred (its outcomes are set).
            if index > 0 && Task.isCancelled { break }
            let isLast = index == candidates.count - 1
            let results = await deliver(
                remaining.map(\.message), to: candidate, for: destination, configuration: configuration, body: body)
            var next: [OutboundJob] = []
            for result in results {
                let outcome = OutboundOutcome(result: result, remoteMTA: candidate.hostname)
                outcomes[result.messageID] = outcome
                if !isLast, result.recipients.allSatisfy({ if case .deferred = $0.outcome { true } else { false } }),
                    let job = remaining.first(where: { $0.message.id == result.messageID })
                {
                    next.append(job)
                }
            }
            if !next.isEmpty {
                logger.info("trying next host", metadata: [
                    "destination": "\(destination)", "host": "\(candidate.address)", "messages": "\(next.count)",
                ])
            }
            remaining = next
            if remaining.isEmpty { break }
        }
        return outcomes
    }

    /// Sends `messages` over a kept connection to the candidate, or a new one when none is kept
    /// or the kept one turns out to have ended: every recipient deferred with 421 and no message
    /// delivered (the peer closed it while idle) sends the batch again over a new connection.
    private func deliver(
        _ messages: [OutboundMessage], to candidate: PeerCandidate, for destination: Destination,
        configuration: ClientSessionConfiguration, body: @escaping ConnectionCache.Connection.BodyProvider
    ) async -> [MessageResult] {
        let key = ConnectionCache.Key(destination: destination, peer: candidate.address)
        if let kept = connections.take(key) {
            let results = await kept.deliver(messages, body: body)
            connections.keep(kept, for: key)
            let lost = results.allSatisfy { $0.recipients.allSatisfy {
                if case .deferred(let reply) = $0.outcome { reply.code == 421 } else { false }
            } }
            guard lost, !Task.isCancelled else { return results }
            logger.debug("kept connection ended; trying a new one", metadata: ["host": "\(candidate.address)"])
        }
        let connection = ConnectionCache.Connection(
            to: candidate.address, configuration: configuration, tls: configuration.tlsAvailable ? tls : nil,
            tlsServerName: Self.serverName(candidate.hostname), timeout: timeout,
            idleTimeout: ConnectionCache.idleTimeout, logger: logger)
        let results = await connection.deliver(messages, body: body)
        connections.keep(connection, for: key)
        return results
    }

    /// The smarthost login for the smarthost: SCRAM-SHA-256 preferred, PLAIN otherwise, only
    /// over TLS.
    private func credentials(for destination: Destination) -> ClientCredentials? {
        guard let smarthostLogin, destination == .relay(smarthostLogin.hop) else { return nil }
        let (username, password) = (smarthostLogin.login.username, smarthostLogin.login.password)
        return ClientCredentials(username: username, mechanisms: [
            SCRAMClientMechanism(username: username, password: password),
            PlainClientMechanism(username: username, password: password),
        ])
    }

    /// SNI carries host names only, never addresses (RFC 6066 §3).
    private static func serverName(_ host: String) -> String? {
        IPAddress(host) == nil ? host : nil
    }
}
