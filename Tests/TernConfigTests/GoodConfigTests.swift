import TernConfig
import TernPolicy
import TernSMTPCore
import Testing

struct GoodConfigCase: Sendable, CustomTestStringConvertible {
    let name: String
    let source: String
    let change: @Sendable (inout TernConfiguration) -> Void

    var testDescription: String { name }
}

private func mailbox(_ local: String, _ domain: String) -> Mailbox {
    Mailbox(localPart: local, domain: .name(domain))
}

@Suite struct GoodConfigTests {
    static let cases: [GoodConfigCase] = [
        GoodConfigCase(name: "empty file", source: "", change: { _ in }),
        GoodConfigCase(name: "comments only", source: "# nothing\n\n   # still nothing\n", change: { _ in }),
        GoodConfigCase(name: "hostname", source: #"hostname = "Mail.Example.NET""#) {
            $0.hostname = "Mail.Example.NET"
            $0.local = TernConfiguration.defaultLocalRecipients(hostname: "Mail.Example.NET")
        },
        GoodConfigCase(name: "hostname localhost", source: #"hostname = "localhost""#) {
            $0.hostname = "localhost"
            $0.local = LocalRecipients(domains: [.name("localhost")], mailboxes: [.anyLocalPart(.name("localhost"))])
        },
        GoodConfigCase(name: "absolute data_dir", source: #"data_dir = "/var/lib/tern/""#) {
            $0.dataDirectory = "/var/lib/tern"
        },
        GoodConfigCase(name: "relative data_dir", source: #"data_dir = "spool""#) {
            $0.dataDirectory = "/etc/tern/spool"
        },
        GoodConfigCase(name: "data_dir with dots", source: #"data_dir = "../lib/./tern//data""#) {
            $0.dataDirectory = "/etc/lib/tern/data"
        },
        GoodConfigCase(name: "accept_mail", source: "accept_mail = false") { $0.acceptMail = false },
        GoodConfigCase(
            name: "queue on PostgreSQL",
            source: "[spool]\nbackend = \"postgres\"\npostgres_url = \"postgres://tern@[::1]/mail\"\nnode = \"mx1\""
        ) {
            $0.spool = TernConfiguration.Spool(
                backend: .postgres, postgres: TernConfiguration.PostgresLocation(user: "tern", host: "::1", database: "mail"),
                node: "mx1")
        },
        GoodConfigCase(
            name: "queue on PostgreSQL with a port",
            source: "[spool]\nbackend = \"postgres\"\npostgres_url = \"postgresql://mail_user@db.example.net:6432/tern-queue\""
        ) {
            $0.spool = TernConfiguration.Spool(
                backend: .postgres,
                postgres: TernConfiguration.PostgresLocation(
                    user: "mail_user", host: "db.example.net", port: 6432, database: "tern-queue"))
        },
        GoodConfigCase(name: "one listener", source: "[[listen]]\naddress = \"0.0.0.0:25\"") {
            $0.listeners = [.init(role: .mx, host: "0.0.0.0", port: 25)]
        },
        GoodConfigCase(
            name: "listeners",
            source: """
            [[listen]]
            role = "mx"
            address = "[::1]:2525"

            [[listen]]
            address = "127.0.0.1:25"

            [[listen]]
            address = "[2001:DB8:0::1]:25"

            [[listen]]
            address = "127.0.0.1:2525"
            """
        ) {
            $0.listeners = [
                .init(role: .mx, host: "::1", port: 2525), .init(role: .mx, host: "127.0.0.1", port: 25),
                .init(role: .mx, host: "2001:db8::1", port: 25), .init(role: .mx, host: "127.0.0.1", port: 2525),
            ]
        },
        GoodConfigCase(name: "inline listeners", source: #"listen = [{ address = "127.0.0.1:26" }, { role = "mx", address = "[::]:26" }]"#) {
            $0.listeners = [.init(role: .mx, host: "127.0.0.1", port: 26), .init(role: .mx, host: "::", port: 26)]
        },
        GoodConfigCase(
            name: "every limit",
            source: """
            [limits]
            message_size = "10MB"
            recipients = 50
            connections = 10
            connections_per_client = 2
            exempt_networks = ["192.0.2.0/24", "2001:db8::/32", "203.0.113.7"]
            idle_timeout = "30s"
            bad_commands = 5
            min_free_disk = 0
            """
        ) {
            $0.limits = TernConfiguration.Limits(
                messageSize: 10_000_000, recipients: 50, connections: 10, connectionsPerClient: 2,
                exemptNetworks: [Network("192.0.2.0/24")!, Network("2001:db8::/32")!, Network("203.0.113.7/32")!],
                idleTimeout: .seconds(30), badCommands: 5, minFreeDisk: 0)
        },
        GoodConfigCase(name: "no exempt networks", source: "[limits]\nexempt_networks = []") {
            $0.limits.exemptNetworks = []
        },
        GoodConfigCase(name: "dotted keys", source: "limits.recipients = 7\nlog.format = \"json\"") {
            $0.limits.recipients = 7
            $0.log.format = .json
        },
        GoodConfigCase(name: "log", source: "[log]\nlevel = \"critical\"\nformat = \"text\"") {
            $0.log = .init(level: .critical, format: .text)
        },
        GoodConfigCase(name: "domains only", source: #"local.domains = ["Example.COM", "[192.0.2.1]", "example.com"]"#) {
            $0.local = LocalRecipients(
                domains: [.name("example.com"), .addressLiteral("192.0.2.1")],
                mailboxes: [.anyLocalPart(.name("example.com")), .anyLocalPart(.addressLiteral("192.0.2.1"))])
        },
        GoodConfigCase(
            name: "every local table",
            source: """
            [local]
            domains = ["example.com", "example.org"]
            mailboxes = ["user@example.com", "*@example.org", "Bob@Example.com"]
            unavailable = ["closed@example.com"]
            disabled = ["shut@example.com"]
            vrfy = "never"

            [local.aliases]
            "staff@example.com" = ["user@example.com", "ext@other.example"]

            [local.forward]
            "fwd@example.com" = "fwd@other.example"

            [local.relocated]
            "old@example.com" = "new@other.example"
            """
        ) {
            $0.local = LocalRecipients(
                domains: [.name("example.com"), .name("example.org")],
                mailboxes: [
                    .mailbox(mailbox("user", "example.com")), .anyLocalPart(.name("example.org")),
                    .mailbox(mailbox("Bob", "example.com")),
                ],
                aliases: [mailbox("staff", "example.com"): [mailbox("user", "example.com"), mailbox("ext", "other.example")]],
                forwards: [mailbox("fwd", "example.com"): mailbox("fwd", "other.example")],
                relocated: [mailbox("old", "example.com"): mailbox("new", "other.example")],
                unavailable: [mailbox("closed", "example.com")],
                disabled: [mailbox("shut", "example.com")],
                vrfyMode: .never)
        },
        GoodConfigCase(
            name: "default domains follow the hostname key",
            source: "hostname = \"mail.example.net\"\n[local]\nmailboxes = [\"a@mail.example.net\", \"*@localhost\"]"
        ) {
            $0.hostname = "mail.example.net"
            $0.local = LocalRecipients(
                domains: [.name("localhost"), .name("mail.example.net")],
                mailboxes: [.mailbox(mailbox("a", "mail.example.net")), .anyLocalPart(.name("localhost"))])
        },
    ]

    @Test(arguments: cases)
    func loads(_ testCase: GoodConfigCase) throws {
        var expected = baseline
        testCase.change(&expected)
        #expect(try load(testCase.source) == expected)
    }

    @Test(arguments: [
        ("5", 5), ("\"5B\"", 5), ("\"100KB\"", 100_000), ("\"10MB\"", 10_000_000), ("\"1GB\"", 1_000_000_000),
        ("\"2TB\"", 2_000_000_000_000), ("\"512KiB\"", 524_288), ("\"35MiB\"", 36_700_160), ("\"35 MiB\"", 36_700_160),
        ("\"1GiB\"", 1_073_741_824), ("\"1TiB\"", 1_099_511_627_776), ("\"0B\"", 0), ("0", 0),
    ])
    func sizes(_ literal: String, _ octets: Int) throws {
        #expect(try load("[limits]\nmin_free_disk = \(literal)").limits.minFreeDisk == octets)
    }

    @Test(arguments: [
        ("250ms", Duration.milliseconds(250)), ("30s", .seconds(30)), ("5m", .seconds(300)),
        ("2h", .seconds(7_200)), ("5d", .seconds(432_000)), ("1ms", .milliseconds(1)),
    ])
    func durations(_ text: String, _ duration: Duration) throws {
        #expect(try load("[limits]\nidle_timeout = \"\(text)\"").limits.idleTimeout == duration)
    }

    @Test(arguments: TernConfiguration.LogLevel.allCases)
    func logLevels(_ level: TernConfiguration.LogLevel) throws {
        #expect(try load("[log]\nlevel = \"\(level.rawValue)\"").log.level == level)
    }

    @Test func loadedTablesResolve() throws {
        let configuration = try load("""
            [local]
            domains = ["example.com"]
            mailboxes = ["User@example.com"]
            aliases = { "staff@example.com" = ["user@example.com", "x@other.example"] }
            forward = { "fwd@example.com" = "f@other.example" }
            relocated = { "old@example.com" = "new@other.example" }
            unavailable = ["closed@example.com"]
            disabled = ["shut@example.com"]
            """)
        let local = configuration.local
        func resolve(_ localPart: String) -> RecipientVerdict {
            local.resolve(.mailbox(mailbox(localPart, "EXAMPLE.com")), relayAllowed: false)
        }
        #expect(resolve("USER") == .accept([.local(mailbox("user", "example.com"))]))
        #expect(resolve("staff") == .accept([.local(mailbox("user", "example.com")), .remote(mailbox("x", "other.example"))]))
        #expect(resolve("fwd") == .forward(mailbox("f", "other.example")))
        #expect(resolve("old") == .relocated(mailbox("new", "other.example")))
        #expect(resolve("closed") == .unavailable)
        #expect(resolve("shut") == .disabled)
        #expect(resolve("nobody") == .unknown)
        #expect(local.resolve(.postmaster, relayAllowed: false) == .accept([.local(mailbox("postmaster", "example.com"))]))
        #expect(local.verify(mailbox("user", "example.com"), relayAllowed: false) == .local(mailbox("user", "example.com")))
        #expect(local.primaryDomain == .name("example.com"))
    }
}
