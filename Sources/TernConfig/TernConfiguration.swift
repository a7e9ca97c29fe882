package import TernPolicy
import TernSMTPCore

/// Everything `tern.toml` configures, with docs/configuration.md's defaults.
///
/// Build one with ``ConfigLoader``: it reads a file (or takes the embedded default), checks
/// every key and resolves relative paths.
package struct TernConfiguration: Sendable, Equatable {
    /// The name in the greeting, 221, 421, `Received:` and bounces (`hostname`).
    package var hostname: String
    /// Spool, mailboxes, accounts and control socket (`data_dir`). The loader always makes it
    /// absolute: relative to the config file's directory, or to the working directory when there
    /// is no file.
    package var dataDirectory: String
    /// `false`: the greeting and every command but QUIT get 521 (`accept_mail`, RFC 7504).
    package var acceptMail: Bool
    /// The sockets to listen on (`[[listen]]`); never empty.
    package var listeners: [Listener]
    /// The certificate and key for STARTTLS and `smtps` (`[tls]`); nil without `[tls]`, when
    /// STARTTLS is not offered and only `mx` listeners are allowed.
    package var tls: TLS?
    /// Session and server limits (`[limits]`).
    package var limits: Limits
    /// The local domains and their recipient tables (`[local]`).
    package var local: LocalRecipients
    /// SMTP AUTH (`[auth]`), at its defaults when the file has none.
    package var auth: Auth
    /// Logging (`[log]`).
    package var log: Log
    /// Clients that may relay through `mx` listeners without AUTH (`[relay] networks`); empty
    /// by default.
    package var relayNetworks: [Network]
    /// How mail for other hosts is delivered: `[delivery]`, with `[relay] smarthost` in
    /// ``DeliverySettings/smarthost`` and `[routes]` in ``DeliverySettings/routes``.
    package var delivery: DeliverySettings
    /// The DNS servers asked for MX, A and AAAA records (`[dns] servers`); empty for the
    /// system resolver (`/etc/resolv.conf`).
    package var dnsServers: [NameServer]
    /// Checkpoint/restart (`[checkpoint]`), at its defaults when the file has none.
    package var checkpoint = Checkpoint()
    /// Where the queue lives (`[spool]`): the file spool under the data folder by default.
    package var spool = Spool()
    /// The HTTP listener for `/metrics` and `/health` (`[metrics] address`); nil (off) by default.
    package var metrics: Metrics?

    /// A configuration; every argument but `hostname` defaults to docs/configuration.md's default.
    ///
    /// - Parameters:
    ///   - hostname: the server's host name, normally the machine's.
    ///   - dataDirectory: `./tern-data` by default, which is relative to the working directory
    ///     of the process; ``ConfigLoader`` passes an absolute path.
    ///   - acceptMail: `true`.
    ///   - listeners: one `mx` listener on `127.0.0.1:2525`.
    ///   - tls: none.
    ///   - limits: the defaults of ``Limits``.
    ///   - local: nil for ``defaultLocalRecipients(hostname:)``.
    ///   - auth: the defaults of ``Auth``.
    ///   - log: level `info`, format `text`.
    ///   - relayNetworks: none.
    ///   - delivery: the defaults of ``DeliverySettings``: MX lookup on port 25, no smarthost,
    ///     no routes.
    ///   - dnsServers: none, for the system resolver.
    package init(
        hostname: String,
        dataDirectory: String = "./tern-data",
        acceptMail: Bool = true,
        listeners: [Listener] = [Listener(role: .mx, host: "127.0.0.1", port: 2525)],
        tls: TLS? = nil,
        limits: Limits = Limits(),
        local: LocalRecipients? = nil,
        auth: Auth = Auth(),
        log: Log = Log(),
        relayNetworks: [Network] = [],
        delivery: DeliverySettings = DeliverySettings(),
        dnsServers: [NameServer] = []
    ) {
        self.hostname = hostname
        self.dataDirectory = dataDirectory
        self.acceptMail = acceptMail
        self.listeners = listeners
        self.tls = tls
        self.limits = limits
        self.local = local ?? Self.defaultLocalRecipients(hostname: hostname)
        self.auth = auth
        self.log = log
        self.relayNetworks = relayNetworks
        self.delivery = delivery
        self.dnsServers = dnsServers
    }

    /// The local domains `localhost` and `hostname`, every local part of each accepted
    /// (`*@localhost`, `*@<hostname>`).
    package static func defaultLocalRecipients(hostname: String) -> LocalRecipients {
        let domains = defaultLocalDomains(hostname: hostname)
        return LocalRecipients(domains: domains, mailboxes: domains.map(MailboxPattern.anyLocalPart))
    }

    /// `localhost` and `hostname` (once when they are the same name).
    static func defaultLocalDomains(hostname: String) -> [Domain] {
        let localhost = Domain.name("localhost")
        let own = Domain.name(hostname)
        return own.normalized == localhost.normalized ? [localhost] : [localhost, own]
    }
}
