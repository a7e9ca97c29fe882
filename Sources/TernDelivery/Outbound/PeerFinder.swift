import TernPolicy
import TernSMTPCore
import TernSMTPClient

/// Turns a destination into the hosts to try, in order (RFC 5321 §5.1): MX records by
/// preference, the domain's own addresses when it has none, the fixed host of a route.
struct PeerFinder: Sendable {
    /// At most this many addresses are tried per attempt (Postfix's `smtp_mx_address_limit`).
    static let addressLimit = 5

    let resolver: any MXResolving
    /// The port of hosts found by MX lookup (`[delivery] smtp_port`).
    let smtpPort: Int
    /// This server's listeners: never a candidate.
    var ownEndpoints = OwnEndpoints()

    /// The hosts for `destination`, or the reply every recipient gets when there are none:
    /// permanent for a null MX, a domain that doesn't exist or hosts that are all this server
    /// itself, temporary when the DNS fails.
    func candidates(for destination: Destination) async -> PeerSearch {
        let search = await allCandidates(for: destination)
        guard case .found(let all) = search else { return search }
        let others = all.filter { candidate in
            guard case .tcp(let host, let port) = candidate.address else { return true }
            return !ownEndpoints.reaches(host: host, port: port)
        }
        return others.isEmpty ? .none(.loopsBackToMyself(destination.description)) : .found(others)
    }

    private func allCandidates(for destination: Destination) async -> PeerSearch {
        switch destination {
        case .relay(.smtp(let host, let port)), .relay(.lmtp(let host, let port)):
            // A route's host is a name the operator chose: the system resolver (and /etc/hosts)
            // finds it when the connection is made.
            return .found([PeerCandidate(address: .tcp(host: host, port: port), hostname: host)])
        case .relay(.lmtpSocket(let path)):
            return .found([PeerCandidate(address: .unixSocket(path: path), hostname: "localhost")])
        case .relay(.maildir):
            preconditionFailure("maildir routes are delivered locally")
        case .mailExchangers(let domain):
            return await mailExchangers(of: domain)
        }
    }

    private func mailExchangers(of domain: String) async -> PeerSearch {
        let answer: MXAnswer
        do {
            answer = try await resolver.mailExchangers(for: domain)
        } catch {
            switch error {
            case .nonexistentDomain: return .none(.domainNotFound(domain))
            case .temporary(let detail): return .none(.dnsFailure(detail))
            }
        }
        let hosts: [String]
        switch answer {
        case .nullMX: return .none(.nullMX(domain))
        case .noRecords: hosts = [domain]
        case .exchangers(let exchangers): hosts = exchangers.map(\.host)
        }
        var candidates: [PeerCandidate] = []
        var temporaryFailure: String?
        for host in hosts where candidates.count < Self.addressLimit {
            do {
                for address in try await resolver.addresses(for: host) where candidates.count < Self.addressLimit {
                    candidates.append(PeerCandidate(address: .tcp(host: address, port: smtpPort), hostname: host))
                }
            } catch {
                if case .temporary(let detail) = error { temporaryFailure = temporaryFailure ?? detail }
            }
        }
        if !candidates.isEmpty { return .found(candidates) }
        if let temporaryFailure { return .none(.dnsFailure(temporaryFailure)) }
        return .none(.noRoute(domain))
    }
}

/// The hosts to try for a destination, or why there are none.
enum PeerSearch: Sendable {
    /// Try these, in order.
    case found([PeerCandidate])
    /// Nobody to try: every recipient gets this reply (temporary or permanent by its code).
    case none(Reply)
}
