import TernPolicy
import Testing

@Suite struct NetworkTests {
    @Test(arguments: [
        ("192.0.2.0/24", "192.0.2.0/24"),
        ("127.0.0.1", "127.0.0.1/32"),
        ("10.1.2.3/8", "10.0.0.0/8"),
        ("0.0.0.0/0", "0.0.0.0/0"),
        ("::1", "::1/128"),
        ("::1/128", "::1/128"),
        ("2001:DB8::/32", "2001:db8::/32"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1/128"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001/64", "2001:db8::/64"),
        ("fe80::1:2:3:4", "fe80::1:2:3:4/128"),
        ("::ffff:192.0.2.1", "::ffff:192.0.2.1/128"),
        ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8/128"),
        ("::", "::/128"),
    ])
    func parses(_ text: String, _ canonical: String) throws {
        let network = try #require(Network(text))
        #expect(network.description == canonical)
    }

    @Test(arguments: [
        "", "foo", "192.0.2", "192.0.2.256", "192.0.2.01", "192.0.2.0/33", "192.0.2.0/", "192.0.2.0/-1",
        "192.0.2.0/24/1", "::1/129", "1::2::3", ":::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::",
        "[::1]", "fe80::1%eth0", "::1.2.3.4:1", " 127.0.0.1", "127.0.0.1 ", "g::1",
    ])
    func refuses(_ text: String) {
        #expect(Network(text) == nil)
    }

    @Test(arguments: [
        ("127.0.0.0/8", "127.0.0.1", true),
        ("127.0.0.0/8", "127.255.255.255", true),
        ("127.0.0.0/8", "128.0.0.1", false),
        ("127.0.0.0/8", "::ffff:127.0.0.1", true),
        ("127.0.0.0/8", "::1", false),
        ("::1", "::1", true),
        ("::1", "0:0:0:0:0:0:0:1", true),
        ("::1", "::2", false),
        ("::1", "127.0.0.1", false),
        ("2001:db8::/32", "2001:db8:ffff::1", true),
        ("2001:db8::/32", "2001:db9::1", false),
        ("fe80::/10", "fe80::1%eth0", true),
        ("192.0.2.0/25", "192.0.2.127", true),
        ("192.0.2.0/25", "192.0.2.128", false),
        ("0.0.0.0/0", "203.0.113.9", true),
        ("0.0.0.0/0", "not an address", false),
    ])
    func contains(_ network: String, _ address: String, _ expected: Bool) throws {
        #expect(try #require(Network(network)).contains(address: address) == expected)
    }

    @Test func loopbacks() {
        #expect(Network.ipv4Loopback == Network("127.0.0.0/8"))
        #expect(Network.ipv6Loopback == Network("::1"))
    }
}
