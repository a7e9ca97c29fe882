package import TernSMTPCore

/// `[delivery]` and `[relay] smarthost`: how the queue delivers mail for other hosts.
package struct DeliverySettings: Hashable, Sendable {
    /// The port of mail exchangers found by MX lookup (`smtp_port`).
    package var smtpPort: Int
    /// Waits between attempts and when to give up (`retry`, `max_lifetime`).
    package var retry: RetryPolicy
    /// A delay report is sent to senders who asked for one once a message is this old
    /// (`warn_after`).
    package var warnAfter: Duration
    /// How long mail for ETRN and ODMR domains waits before it bounces (`hold_lifetime`).
    package var holdLifetime: Duration
    /// Outgoing sessions at once (`concurrency`).
    package var concurrency: Int
    /// Outgoing sessions at once to one destination (`per_destination`).
    package var perDestination: Int
    /// Never deliver in clear text (`require_tls`).
    package var requireTLS: Bool
    /// All mail for other domains goes here instead of to their mail exchangers
    /// (`[relay] smarthost`); `[routes]` still come first.
    package var smarthost: NextHop?
    /// Who Tern authenticates as at the smarthost (`[relay] smarthost_user`); nil for no AUTH.
    package var smarthostLogin: SmarthostLogin?
    /// Next hops for particular domains (`[routes]`).
    package var routes: RouteTable
    /// Lower-cased names of the domains whose mail waits for ETRN or ATRN (`[[etrn.node]]`,
    /// `[odmr] domains`): the scheduler never sends it; it expires after ``holdLifetime``.
    package var holdDomains: Set<String> = []
    /// This server's listening sockets: mail is never relayed to them.
    package var ownEndpoints = OwnEndpoints()

    /// Settings at docs/configuration.md's defaults unless given.
    package init(
        smtpPort: Int = 25, retry: RetryPolicy = .standard, warnAfter: Duration = .seconds(4 * 3_600),
        holdLifetime: Duration = .seconds(5 * 86_400), concurrency: Int = 100, perDestination: Int = 10,
        requireTLS: Bool = false, smarthost: NextHop? = nil, routes: RouteTable = RouteTable()
    ) {
        self.smtpPort = smtpPort
        self.retry = retry
        self.warnAfter = warnAfter
        self.holdLifetime = holdLifetime
        self.concurrency = concurrency
        self.perDestination = perDestination
        self.requireTLS = requireTLS
        self.smarthost = smarthost
        self.routes = routes
    }

    /// Where mail for `domain` goes: its route, else the smarthost; nil means its mail exchangers.
    /// Held mail goes to its node's own host: its route, else its MX, never the smarthost.
    package func nextHop(for domain: Domain) -> NextHop? {
        isHeld(domain) ? routes.nextHop(for: domain) : routes.nextHop(for: domain) ?? smarthost
    }

    /// Whether mail for `domain` is held for ETRN or ATRN.
    package func isHeld(_ domain: Domain) -> Bool {
        holdDomains.contains(domain.normalized)
    }
}
