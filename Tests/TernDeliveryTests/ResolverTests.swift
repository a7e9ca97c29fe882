import NIOCore
import NIOPosix
import Testing
import TernDelivery
import TernPolicy

/// `SystemResolver` against a real dnsmasq on a loopback port (never 53), and the ordering of
/// MX records.
@Suite struct ResolverTests {
    /// The test zone, as dnsmasq options.
    static let zone = [
        // Preference 10, two at 20, 30.
        "--mx-host=multi.test,mx1.multi.test,10",
        "--mx-host=multi.test,mx2a.multi.test,20",
        "--mx-host=multi.test,mx2b.multi.test,20",
        "--mx-host=multi.test,mx3.multi.test,30",
        "--host-record=mx1.multi.test,192.0.2.1,2001:db8::1",
        "--host-record=mx2a.multi.test,192.0.2.2",
        "--host-record=mx2b.multi.test,2001:db8::2",
        "--host-record=mx3.multi.test,192.0.2.3",
        // No MX, an A record: mail goes to the domain itself.
        "--host-record=plain.test,192.0.2.10",
        // RFC 7505 null MX: preference 0, exchange "." (the root label).
        "--dns-rr=null.test,15,000000",
        // Preference 5, exchange "MX.Case.Test", written in mixed case on the wire.
        "--dns-rr=case.test,15,0005024D580443617365045465737400",
    ]

    let multiFirst = MailExchanger(preference: 10, host: "mx1.multi.test")
    let multiSecond: Set = [
        MailExchanger(preference: 20, host: "mx2a.multi.test"), MailExchanger(preference: 20, host: "mx2b.multi.test"),
    ]
    let multiLast = MailExchanger(preference: 30, host: "mx3.multi.test")

    func resolver(_ servers: [NameServer], timeout: Duration = .seconds(2), attempts: Int = 2) -> SystemResolver {
        SystemResolver(servers: servers, threadPool: .singleton, timeout: timeout, attempts: attempts)
    }

    /// A resolver asking only `server`.
    func resolver(for server: DnsmasqServer) -> SystemResolver {
        resolver([NameServer(address: "127.0.0.1", port: server.port)])
    }

    /// A loopback UDP port where nothing listens: bound by the kernel's choice, then released.
    func closedPort() async throws -> Int {
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(channel.localAddress?.port)
        try await channel.close()
        return port
    }

    func expectExchangersOfMulti(_ answer: MXAnswer) {
        guard case .exchangers(let exchangers) = answer else {
            Issue.record("expected exchangers, got \(answer)")
            return
        }
        #expect(exchangers.count == 4)
        #expect(exchangers.first == multiFirst)
        #expect(Set(exchangers.dropFirst().prefix(2)) == multiSecond)
        #expect(exchangers.last == multiLast)
    }

    @Test func exchangersComeInPreferenceOrder() async throws {
        let server = try DnsmasqServer.start(records: Self.zone)
        defer { server.stop() }
        expectExchangersOfMulti(try await resolver(for: server).mailExchangers(for: "multi.test"))
    }

    @Test func equalPreferencesComeInBothOrders() async throws {
        let server = try DnsmasqServer.start(records: Self.zone)
        defer { server.stop() }
        let resolver = resolver(for: server)
        var orders: Set<[String]> = []
        // Each order has probability 1/2 per lookup; 64 lookups miss one with probability 2^-63.
        for _ in 0..<64 where orders.count < 2 {
            guard case .exchangers(let exchangers) = try await resolver.mailExchangers(for: "multi.test") else {
                Issue.record("expected exchangers")
                return
            }
            try #require(exchangers.count == 4)
            orders.insert(exchangers[1...2].map(\.host))
        }
        #expect(orders == [["mx2a.multi.test", "mx2b.multi.test"], ["mx2b.multi.test", "mx2a.multi.test"]])
    }

    @Test func exchangerNamesAreLowerCased() async throws {
        let server = try DnsmasqServer.start(records: Self.zone)
        defer { server.stop() }
        let answer = try await resolver(for: server).mailExchangers(for: "case.test")
        #expect(answer == .exchangers([MailExchanger(preference: 5, host: "mx.case.test")]))
    }

    @Test func domainWithoutMXFallsBackToItsAddress() async throws {
        let server = try DnsmasqServer.start(records: Self.zone)
        defer { server.stop() }
        let resolver = resolver(for: server)
        #expect(try await resolver.mailExchangers(for: "plain.test") == .noRecords)
        #expect(try await resolver.addresses(for: "plain.test") == ["192.0.2.10"])
    }

    @Test func nullMXIsReported() async throws {
        let server = try DnsmasqServer.start(records: Self.zone)
        defer { server.stop() }
        #expect(try await resolver(for: server).mailExchangers(for: "null.test") == .nullMX)
    }

    @Test func nonexistentDomainIsPermanent() async throws {
        let server = try DnsmasqServer.start(records: Self.zone)
        defer { server.stop() }
        let resolver = resolver(for: server)
        await #expect(throws: DNSFailure.nonexistentDomain("nowhere.test")) {
            try await resolver.mailExchangers(for: "nowhere.test")
        }
        await #expect(throws: DNSFailure.nonexistentDomain("nowhere.test")) {
            try await resolver.addresses(for: "nowhere.test")
        }
    }

    @Test func addressesListIPv6ThenIPv4() async throws {
        let server = try DnsmasqServer.start(records: Self.zone)
        defer { server.stop() }
        let resolver = resolver(for: server)
        #expect(try await resolver.addresses(for: "mx1.multi.test") == ["2001:db8::1", "192.0.2.1"])
        #expect(try await resolver.addresses(for: "mx2a.multi.test") == ["192.0.2.2"])
        #expect(try await resolver.addresses(for: "mx2b.multi.test") == ["2001:db8::2"])
        // The name exists (it has MX records) but has no address.
        #expect(try await resolver.addresses(for: "multi.test") == [])
    }

    @Test func ipv6NameServerOnItsPort() async throws {
        let server = try DnsmasqServer.start(records: Self.zone, listenAddress: "::1")
        defer { server.stop() }
        let resolver = resolver([NameServer(address: "::1", port: server.port)])
        expectExchangersOfMulti(try await resolver.mailExchangers(for: "multi.test"))
        #expect(try await resolver.addresses(for: "mx1.multi.test") == ["2001:db8::1", "192.0.2.1"])
    }

    @Test func aDeadServerIsSkippedForTheNext() async throws {
        let server = try DnsmasqServer.start(records: Self.zone)
        defer { server.stop() }
        let dead = NameServer(address: "127.0.0.1", port: try await closedPort())
        let resolver = resolver([dead, NameServer(address: "127.0.0.1", port: server.port)])
        expectExchangersOfMulti(try await resolver.mailExchangers(for: "multi.test"))
    }

    @Test func noServerListeningIsTemporary() async throws {
        let resolver = resolver([NameServer(address: "127.0.0.1", port: try await closedPort())])
        let clock = ContinuousClock()
        let start = clock.now
        let failure = await #expect(throws: DNSFailure.self) { try await resolver.mailExchangers(for: "multi.test") }
        #expect(clock.now - start < .seconds(5))
        guard case .temporary = failure else {
            Issue.record("expected a temporary failure, got \(String(describing: failure))")
            return
        }
        let addressFailure = await #expect(throws: DNSFailure.self) { try await resolver.addresses(for: "mx1.multi.test") }
        guard case .temporary = addressFailure else {
            Issue.record("expected a temporary failure, got \(String(describing: addressFailure))")
            return
        }
    }

    @Test func silentServerTimesOut() async throws {
        // Reads every query and answers none.
        let silent = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(silent.localAddress?.port)
        let resolver = resolver([NameServer(address: "127.0.0.1", port: port)], timeout: .seconds(1), attempts: 1)
        let clock = ContinuousClock()
        let start = clock.now
        let failure = await #expect(throws: DNSFailure.self) { try await resolver.mailExchangers(for: "multi.test") }
        let elapsed = clock.now - start
        try await silent.close()
        #expect(elapsed >= .milliseconds(900) && elapsed < .seconds(4), "\(elapsed)")
        guard case .temporary = failure else {
            Issue.record("expected a temporary failure, got \(String(describing: failure))")
            return
        }
    }

    @Test func ipLiteralsAreTheirOwnAddress() async throws {
        // Nothing listens, so any query would fail.
        let resolver = resolver([NameServer(address: "127.0.0.1", port: try await closedPort())])
        #expect(try await resolver.addresses(for: "192.0.2.7") == ["192.0.2.7"])
        #expect(try await resolver.addresses(for: "2001:db8::7") == ["2001:db8::7"])
    }

    @Test(arguments: [String(repeating: "a", count: 64) + ".test", String(repeating: "abcdefg.", count: 32) + "test", ""])
    func namesNoQueryCanCarryArePermanent(name: String) async throws {
        // Nothing listens: a query would fail temporarily, so a permanent failure means none was sent.
        let resolver = resolver([NameServer(address: "127.0.0.1", port: try await closedPort())])
        await #expect(throws: DNSFailure.nonexistentDomain(name)) { try await resolver.mailExchangers(for: name) }
    }

    @Test func answerFromRecords() {
        var generator = SystemRandomNumberGenerator()
        #expect(MXAnswer(records: [], using: &generator) == .noRecords)
        #expect(MXAnswer(records: [MailExchanger(preference: 0, host: "")], using: &generator) == .nullMX)
        let real = MailExchanger(preference: 10, host: "mx.example.net")
        #expect(MXAnswer(records: [MailExchanger(preference: 0, host: ""), real], using: &generator) == .exchangers([real]))
        let records = [
            MailExchanger(preference: 30, host: "c"), MailExchanger(preference: 5, host: "a"),
            MailExchanger(preference: 20, host: "b1"), MailExchanger(preference: 20, host: "b2"),
            MailExchanger(preference: 20, host: "b3"),
        ]
        var middles: Set<[String]> = []
        // Six orders of b1, b2, b3; 200 draws miss one with probability below 6 * (5/6)^200.
        for _ in 0..<200 {
            guard case .exchangers(let sorted) = MXAnswer(records: records, using: &generator) else {
                Issue.record("expected exchangers")
                return
            }
            #expect(sorted.map(\.preference) == [5, 20, 20, 20, 30])
            middles.insert(sorted[1...3].map(\.host))
        }
        #expect(middles.count == 6)
    }
}
