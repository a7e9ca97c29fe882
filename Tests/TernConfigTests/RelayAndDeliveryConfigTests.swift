import Testing
import TernConfig
import TernPolicy
import TernSMTPCore

@Suite struct RelayAndDeliveryDefaultTests {
    @Test func absentSectionsGiveCONFIGmdDefaults() throws {
        let configuration = try load("")
        #expect(configuration.relayNetworks.isEmpty)
        #expect(configuration.dnsServers.isEmpty)
        let delivery = configuration.delivery
        #expect(delivery.smtpPort == 25)
        #expect(delivery.retry.delays == [.seconds(60), .seconds(300), .seconds(900), .seconds(3_600), .seconds(14_400)])
        #expect(delivery.retry.maximumAge == .seconds(5 * 86_400))
        #expect(delivery.warnAfter == .seconds(4 * 3_600))
        #expect(delivery.holdLifetime == .seconds(5 * 86_400))
        #expect(delivery.concurrency == 100)
        #expect(delivery.perDestination == 10)
        #expect(!delivery.requireTLS)
        #expect(delivery.smarthost == nil)
        #expect(delivery.routes.isEmpty)
    }

    @Test func emptySectionsAreTheDefaults() throws {
        #expect(try load("[relay]\n[routes]\n[dns]\n[delivery]\n") == baseline)
        #expect(try load("[relay]\nnetworks = []\n[dns]\nservers = []\n") == baseline)
    }

    @Test func embeddedDefaultHasTheDefaults() {
        let configuration = ConfigLoader.embeddedDefault(hostname: testHostname, workingDirectory: testDirectory)
        #expect(configuration.relayNetworks.isEmpty)
        #expect(configuration.delivery == DeliverySettings())
        #expect(configuration.dnsServers.isEmpty)
    }

    @Test func everyKey() throws {
        let configuration = try load("""
            [relay]
            networks = ["192.0.2.0/24", "2001:db8::/32", "203.0.113.9"]
            smarthost = "Smarthost.Example.NET:587"

            [routes]
            "example.net" = "smtp:mx.example.net:25"
            ".example.org" = "lmtp:[2001:DB8::24]:24"
            "lmtp.example" = "lmtp:192.0.2.24:24"
            "sock.example" = "lmtp:unix:run/lmtp.sock"
            "abs.example" = "lmtp:unix:/run/dovecot/lmtp"
            "localhost" = "maildir"

            [dns]
            servers = ["127.0.0.53:53", "[::1]:5353"]

            [delivery]
            smtp_port = 2525
            retry = ["30s", "2m", "1h"]
            max_lifetime = "3d"
            warn_after = "2h"
            hold_lifetime = "7d"
            concurrency = 20
            per_destination = 2
            require_tls = true
            """)
        var expected = baseline
        expected.relayNetworks = [Network("192.0.2.0/24")!, Network("2001:db8::/32")!, Network("203.0.113.9/32")!]
        expected.dnsServers = [NameServer(address: "127.0.0.53", port: 53), NameServer(address: "::1", port: 5353)]
        expected.delivery = DeliverySettings(
            smtpPort: 2525,
            retry: RetryPolicy(delays: [.seconds(30), .seconds(120), .seconds(3_600)], maximumAge: .seconds(3 * 86_400)),
            warnAfter: .seconds(7_200), holdLifetime: .seconds(7 * 86_400), concurrency: 20, perDestination: 2,
            requireTLS: true, smarthost: .smtp(host: "smarthost.example.net", port: 587),
            routes: RouteTable([
                "example.net": .smtp(host: "mx.example.net", port: 25),
                ".example.org": .lmtp(host: "2001:db8::24", port: 24),
                "lmtp.example": .lmtp(host: "192.0.2.24", port: 24),
                "sock.example": .lmtpSocket(path: "/etc/tern/run/lmtp.sock"),
                "abs.example": .lmtpSocket(path: "/run/dovecot/lmtp"),
                "localhost": .maildir,
            ]))
        #expect(configuration == expected)
    }

    @Test func maxLifetimeAloneKeepsTheDefaultDelays() throws {
        let retry = try load("[delivery]\nmax_lifetime = \"1d\"").delivery.retry
        #expect(retry == RetryPolicy(delays: RetryPolicy.standard.delays, maximumAge: .seconds(86_400)))
    }

    @Test func retryAloneKeepsTheDefaultLifetime() throws {
        let retry = try load("delivery.retry = [\"10m\"]").delivery.retry
        #expect(retry == RetryPolicy(delays: [.seconds(600)], maximumAge: .seconds(5 * 86_400)))
        #expect(retry.delay(afterAttempt: 7) == .seconds(600))
    }

    @Test func inlineTables() throws {
        let configuration = try load("""
            relay = { smarthost = "[2001:db8::25]:25" }
            routes = { ".Example.NET" = "maildir", "a.example" = "smtp:192.0.2.1:2525" }
            dns = { servers = ["192.0.2.53:53"] }
            """)
        #expect(configuration.delivery.smarthost == .smtp(host: "2001:db8::25", port: 25))
        #expect(configuration.delivery.smarthost?.description == "smtp:[2001:db8::25]:25")
        #expect(configuration.delivery.routes == RouteTable([".example.net": .maildir, "a.example": .smtp(host: "192.0.2.1", port: 2525)]))
        #expect(configuration.dnsServers == [NameServer(address: "192.0.2.53", port: 53)])
    }

    @Test(arguments: [
        ("mail.example.com:25", NextHop.smtp(host: "mail.example.com", port: 25)),
        ("192.0.2.1:465", .smtp(host: "192.0.2.1", port: 465)),
        ("[::ffff:192.0.2.1]:25", .smtp(host: "::ffff:192.0.2.1", port: 25)),
        ("[2001:0DB8:0:0::1]:65535", .smtp(host: "2001:db8::1", port: 65_535)),
        ("localhost:1", .smtp(host: "localhost", port: 1)),
        ("relay-1.example:00025", .smtp(host: "relay-1.example", port: 25)),
    ])
    func smarthosts(_ text: String, _ hop: NextHop) throws {
        #expect(try load("relay.smarthost = \"\(text)\"").delivery.smarthost == hop)
    }
}

@Suite struct RoutesConfigTests {
    private func routes(_ body: String, local: String = "") throws -> RouteTable {
        try load(local + "[routes]\n" + body).delivery.routes
    }

    @Test func lookupsFollowTheKeys() throws {
        let table = try routes("""
            "example.net" = "smtp:mx.example.net:25"
            ".example.net" = "lmtp:unix:lmtp.sock"
            ".b.example.net" = "maildir"
            "MiXed.Example" = "lmtp:127.0.0.1:24"
            """)
        #expect(table.nextHop(for: .name("example.net")) == .smtp(host: "mx.example.net", port: 25))
        #expect(table.nextHop(for: .name("a.example.net")) == .lmtpSocket(path: "/etc/tern/lmtp.sock"))
        #expect(table.nextHop(for: .name("x.b.example.net")) == .maildir)
        #expect(table.nextHop(for: .name("mixed.example")) == .lmtp(host: "127.0.0.1", port: 24))
        #expect(table.nextHop(for: .name("other.example")) == nil)
    }

    @Test func socketPathsFollowTheConfigFile() throws {
        let table = try routes(#""a.example" = "lmtp:unix:../run/./lmtp""#)
        #expect(table.nextHop(for: .name("a.example")) == .lmtpSocket(path: "/etc/run/lmtp"))
    }

    @Test func aLocalDomainMayBeRoutedToMaildir() throws {
        let local = "[local]\ndomains = [\"example.com\", \"sub.example.com\"]\n"
        let table = try routes("\"example.com\" = \"maildir\"\n\".example.com\" = \"maildir\"\n", local: local)
        #expect(table.nextHop(for: .name("sub.example.com")) == .maildir)
    }

    @Test func aRemoteSubdomainOfALocalDomainMayGoElsewhere() throws {
        let local = "[local]\ndomains = [\"example.com\"]\n"
        let table = try routes("\".example.com\" = \"smtp:inner.example.com:25\"\n\"example.com\" = \"maildir\"\n", local: local)
        #expect(table.nextHop(for: .name("x.example.com")) == .smtp(host: "inner.example.com", port: 25))
    }

    @Test func routesBesideAnAddressLiteralLocalDomain() throws {
        let local = "[local]\ndomains = [\"[192.0.2.1]\"]\n"
        let table = try routes("\"example.net\" = \"smtp:192.0.2.2:25\"\n", local: local)
        #expect(table.nextHop(for: .name("example.net")) == .smtp(host: "192.0.2.2", port: 25))
    }
}

@Suite struct RelayAndDeliveryBadValueTests {
    @Test(arguments: [
        ("mail.example.com", "missing port: expected \"HOST:PORT\", got \"mail.example.com\""),
        ("[::1]", "missing port: expected \"HOST:PORT\", got \"[::1]\""),
        ("mail.example.com:", "missing port: expected \"HOST:PORT\", got \"mail.example.com:\""),
        ("mail.example.com:0", "expected a port from 1 to 65535, got \"mail.example.com:0\""),
        ("mail.example.com:65536", "expected a port from 1 to 65535, got \"mail.example.com:65536\""),
        ("mail.example.com:smtp", "expected a port from 1 to 65535, got \"mail.example.com:smtp\""),
        ("mail.example.com:-25", "expected a port from 1 to 65535, got \"mail.example.com:-25\""),
        ("[::1]:25 ", "expected a port from 1 to 65535, got \"[::1]:25 \""),
        ("::1:25", "expected a host name or IP address (IPv6 in brackets) in \"HOST:PORT\", got \"::1:25\""),
        ("[127.0.0.1]:25", "expected a host name or IP address (IPv6 in brackets) in \"HOST:PORT\", got \"[127.0.0.1]:25\""),
        ("[fe80::1%eth0]:25", "expected a host name or IP address (IPv6 in brackets) in \"HOST:PORT\", got \"[fe80::1%eth0]:25\""),
        ("[::1]25", "expected a host name or IP address (IPv6 in brackets) in \"HOST:PORT\", got \"[::1]25\""),
        ("192.0.2.300:25", "expected a host name or IP address (IPv6 in brackets) in \"HOST:PORT\", got \"192.0.2.300:25\""),
        ("mail..example:25", "expected a host name or IP address (IPv6 in brackets) in \"HOST:PORT\", got \"mail..example:25\""),
        (":25", "expected a host name or IP address (IPv6 in brackets) in \"HOST:PORT\", got \":25\""),
        ("smtp://mail.example:25", "expected a host name or IP address (IPv6 in brackets) in \"HOST:PORT\", got \"smtp://mail.example:25\""),
    ])
    func smarthosts(_ text: String, _ message: String) {
        #expect(errorLines("[relay]\nsmarthost = '\(text)'") == ["tern.toml:2: relay.smarthost: \(message)"])
    }

    @Test func relayTypes() {
        #expect(errorLines("[relay]\nsmarthost = 25\nnetworks = \"192.0.2.0/24\"\n") == [
            "tern.toml:2: relay.smarthost: expected a string, got 25",
            "tern.toml:3: relay.networks: expected an array of networks, got \"192.0.2.0/24\"",
        ])
        #expect(errorLines("relay.networks = [\"192.0.2.0/24\", \"192.0.2.0/33\", \"[::1]\"]") == [
            "tern.toml:1: relay.networks[1]: expected a network like \"192.0.2.0/24\" or \"::1/128\", got \"192.0.2.0/33\"",
            "tern.toml:1: relay.networks[2]: expected a network like \"192.0.2.0/24\" or \"::1/128\", got \"[::1]\"",
        ])
    }

    @Test(arguments: [
        ("dns.example:53", "expected an IP address (IPv6 in brackets) in \"IP:PORT\", got \"dns.example:53\""),
        ("::1:53", "expected an IP address (IPv6 in brackets) in \"IP:PORT\", got \"::1:53\""),
        ("192.0.2.53", "missing port: expected \"IP:PORT\", got \"192.0.2.53\""),
        ("[2001:db8::53]", "missing port: expected \"IP:PORT\", got \"[2001:db8::53]\""),
        ("192.0.2.53:0", "expected a port from 1 to 65535, got \"192.0.2.53:0\""),
    ])
    func dnsServers(_ text: String, _ message: String) {
        #expect(errorLines("[dns]\nservers = [\n  \"127.0.0.1:53\",\n  \"\(text)\",\n]") == [
            "tern.toml:4: dns.servers[1]: \(message)",
        ])
    }

    @Test func dnsTypes() {
        #expect(errorLines("[dns]\nservers = \"127.0.0.1:53\"") == [
            "tern.toml:2: dns.servers: expected an array of servers, got \"127.0.0.1:53\"",
        ])
        #expect(errorLines("dns.servers = [53]") == ["tern.toml:1: dns.servers[0]: expected a string, got 53"])
    }

    @Test(arguments: ["0", "65536", "-25", "\"25\"", "25.0", "true"])
    func smtpPorts(_ literal: String) {
        #expect(errorLines("[delivery]\nsmtp_port = \(literal)") == [
            "tern.toml:2: delivery.smtp_port: expected a port from 1 to 65535, got \(literal)",
        ])
    }

    @Test func retry() {
        #expect(errorLines("[delivery]\nretry = []") == ["tern.toml:2: delivery.retry: at least one duration is required"])
        #expect(errorLines("[delivery]\nretry = \"5m\"") == [
            "tern.toml:2: delivery.retry: expected an array of durations, got \"5m\"",
        ])
        #expect(errorLines("[delivery]\nretry = [\"1m\", \"5\", \"0s\", 300]") == [
            "tern.toml:2: delivery.retry[1]: expected a duration like \"5m\", got \"5\"",
            "tern.toml:2: delivery.retry[2]: must be more than zero, got \"0s\"",
            "tern.toml:2: delivery.retry[3]: expected a duration like \"5m\", got 300",
        ])
    }

    @Test(arguments: ["max_lifetime", "warn_after", "hold_lifetime"])
    func durations(_ key: String) {
        #expect(errorLines("[delivery]\n\(key) = \"5 days\"") == [
            "tern.toml:2: delivery.\(key): expected a duration like \"5m\", got \"5 days\"",
        ])
        #expect(errorLines("[delivery]\n\(key) = \"0d\"") == ["tern.toml:2: delivery.\(key): must be more than zero, got \"0d\""])
    }

    @Test(arguments: ["concurrency", "per_destination"])
    func counts(_ key: String) {
        #expect(errorLines("[delivery]\n\(key) = 0") == ["tern.toml:2: delivery.\(key): must be more than zero, got 0"])
        #expect(errorLines("[delivery]\n\(key) = \"10\"") == ["tern.toml:2: delivery.\(key): expected an integer, got \"10\""])
    }

    @Test func requireTLS() {
        #expect(errorLines("[delivery]\nrequire_tls = \"yes\"") == [
            "tern.toml:2: delivery.require_tls: expected true or false, got \"yes\"",
        ])
    }

    @Test func requireTLSWithoutATLSSectionIsNoContradiction() throws {
        #expect(try load("[delivery]\nrequire_tls = true").delivery.requireTLS)
    }

    @Test(arguments: [
        ("smtp:mx.example.net", "missing port: expected \"smtp:HOST:PORT\", got \"smtp:mx.example.net\""),
        ("lmtp:[::1]", "missing port: expected \"lmtp:HOST:PORT\", got \"lmtp:[::1]\""),
        ("smtp:mx.example.net:0", "expected a port from 1 to 65535, got \"smtp:mx.example.net:0\""),
        ("lmtp:127.0.0.1:lmtp", "expected a port from 1 to 65535, got \"lmtp:127.0.0.1:lmtp\""),
        ("smtp:::1:25", "expected a host name or IP address (IPv6 in brackets) in \"smtp:HOST:PORT\", got \"smtp:::1:25\""),
        ("lmtp:bad_host:24", "expected a host name or IP address (IPv6 in brackets) in \"lmtp:HOST:PORT\", got \"lmtp:bad_host:24\""),
        ("lmtp:unix:", "expected a path after \"lmtp:unix:\", got \"lmtp:unix:\""),
        ("Maildir", "expected \"smtp:HOST:PORT\", \"lmtp:HOST:PORT\", \"lmtp:unix:PATH\" or \"maildir\", got \"Maildir\""),
        ("SMTP:mx.example.net:25", "expected \"smtp:HOST:PORT\", \"lmtp:HOST:PORT\", \"lmtp:unix:PATH\" or \"maildir\", got \"SMTP:mx.example.net:25\""),
        ("mx.example.net:25", "expected \"smtp:HOST:PORT\", \"lmtp:HOST:PORT\", \"lmtp:unix:PATH\" or \"maildir\", got \"mx.example.net:25\""),
        ("", "expected \"smtp:HOST:PORT\", \"lmtp:HOST:PORT\", \"lmtp:unix:PATH\" or \"maildir\", got \"\""),
    ])
    func routeValues(_ text: String, _ message: String) {
        #expect(errorLines("[routes]\n\"example.net\" = \"maildir\"\n\"other.example\" = \"\(text)\"") == [
            "tern.toml:3: routes.\"other.example\": \(message)",
        ])
    }

    @Test(arguments: ["", ".", "..example.net", "example..net", "-x.example", "[192.0.2.1]", "exa mple.net", "*.example.net"])
    func routeKeys(_ key: String) {
        #expect(errorLines("[routes]\n\"\(key)\" = \"maildir\"") == [
            "tern.toml:2: routes.\"\(key)\": expected a domain like \"example.net\" or \".example.net\", got \"\(key)\"",
        ])
    }

    @Test func routeTypes() {
        #expect(errorLines("[routes]\n\"a.example\" = 25\n\"b.example\" = [\"maildir\"]") == [
            "tern.toml:2: routes.\"a.example\": expected a string, got 25",
            "tern.toml:3: routes.\"b.example\": expected a string, got an array",
        ])
    }

    @Test func unquotedDottedRouteKey() {
        #expect(errorLines("[routes]\nexample.net = \"maildir\"") == [
            "tern.toml:2: routes.example: expected a route string, got a table (write a domain key in quotes: \"example.net\" = \"maildir\")",
        ])
    }

    @Test func routeKeysDifferingInCase() {
        #expect(errorLines("[routes]\n\"example.net\" = \"maildir\"\n\"Example.NET\" = \"smtp:a.example:25\"") == [
            "tern.toml:3: routes.\"Example.NET\": same domain as \"example.net\" (domains compare case-insensitively)",
        ])
    }

    @Test func routesForLocalDomains() {
        #expect(errorLines("""
            [local]
            domains = ["example.com", "mail.example.org"]

            [routes]
            "Example.com" = "smtp:mx.example.net:25"
            ".example.org" = "lmtp:unix:/run/lmtp"
            "localhost" = "smtp:127.0.0.1:25"
            """) == [
            "tern.toml:5: routes.\"Example.com\": \"example.com\" is a local domain (local.domains); only \"maildir\" can route it",
            "tern.toml:6: routes.\".example.org\": \"mail.example.org\" is a local domain (local.domains); only \"maildir\" can route it",
        ])
    }

    @Test func routesForTheDefaultLocalDomains() {
        #expect(errorLines("routes = { localhost = \"smtp:127.0.0.1:25\", \".example.com\" = \"lmtp:127.0.0.1:24\" }") == [
            "tern.toml:1: routes.localhost: \"localhost\" is a local domain (local.domains); only \"maildir\" can route it",
            "tern.toml:1: routes.\".example.com\": \"mx.example.com\" is a local domain (local.domains); only \"maildir\" can route it",
        ])
    }

    @Test func unknownKeys() {
        #expect(errorLines("""
            [relay]
            network = ["192.0.2.0/24"]
            smart_host = "a.example:25"

            [dns]
            server = ["127.0.0.1:53"]
            timeout = "5s"

            [delivery]
            retries = ["5m"]
            smtp_port = 25
            max_concurrency = 5
            """) == [
            "tern.toml:2: relay.network: unknown key",
            "tern.toml:3: relay.smart_host: unknown key",
            "tern.toml:6: dns.server: unknown key",
            "tern.toml:7: dns.timeout: unknown key",
            "tern.toml:10: delivery.retries: unknown key",
            "tern.toml:12: delivery.max_concurrency: unknown key",
        ])
    }

    @Test func wrongTableTypes() {
        #expect(errorLines("relay = [\"192.0.2.0/24\"]\nroutes = \"maildir\"\ndns = \"127.0.0.1:53\"\ndelivery = 5") == [
            "tern.toml:1: relay: expected a table, got an array",
            "tern.toml:2: routes: expected a table, got \"maildir\"",
            "tern.toml:3: dns: expected a table, got \"127.0.0.1:53\"",
            "tern.toml:4: delivery: expected a table, got 5",
        ])
    }

    @Test func tablesOutsideTheContractAreUnknown() {
        #expect(errorLines("[telemetry]\naddress = \"127.0.0.1:9100\"\n") == ["tern.toml:1: telemetry: unknown key"])
    }

    @Test func metricsListenerIsOffUnlessAnAddressIsGiven() throws {
        #expect(try load("").metrics == nil)
        #expect(try load("[metrics]\naddress = \"127.0.0.1:9100\"\n").metrics
            == TernConfiguration.Metrics(host: "127.0.0.1", port: 9100))
        #expect(try load("[metrics]\naddress = \"[::1]:9100\"\n").metrics
            == TernConfiguration.Metrics(host: "::1", port: 9100))
    }

    @Test func metricsAddressMustBeAListenAddress() {
        #expect(errorLines("[metrics]\naddress = \"localhost\"\nport = 3\n") == [
            "tern.toml:2: metrics.address: expected an address like \"127.0.0.1:9090\" or \"[::1]:9090\", got \"localhost\"",
            "tern.toml:3: metrics.port: unknown key",
        ])
    }
}
