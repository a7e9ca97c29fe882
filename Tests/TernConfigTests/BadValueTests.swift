import TernConfig
import Testing

@Suite struct BadValueTests {
    @Test(arguments: [
        "\"big\"", "\"35mib\"", "\"MiB\"", "\"-1\"", "-1", "1.5", "\"35MiBs\"", "\"35  MiB\"", "\"9999999999999TiB\"",
        "true", "\"\"", "[1]",
    ])
    func sizes(_ literal: String) {
        let got = literal == "[1]" ? "an array" : literal
        #expect(errorLines("[limits]\nmessage_size = \(literal)") == [
            "tern.toml:2: limits.message_size: expected a size like \"35MiB\", got \(got)",
        ])
    }

    @Test(arguments: ["\"5\"", "\"5 m\"", "\"5min\"", "\"m\"", "\"-5s\"", "\"1.5h\"", "300", "\"99999999999999999d\""])
    func durations(_ literal: String) {
        #expect(errorLines("[limits]\nidle_timeout = \(literal)") == [
            "tern.toml:2: limits.idle_timeout: expected a duration like \"5m\", got \(literal)",
        ])
    }

    @Test(arguments: [
        "localhost:25", "127.0.0.1", "127.0.0.1:", ":25", "127.0.0.1:65536", "127.0.0.1:0", "127.0.0.1:-1",
        "::1:25", "[::1]", "[::1]25", "[127.0.0.1]:25", "[fe80::1%eth0]:25", "*:25", "127.0.0.1:25 ",
    ])
    func listenAddresses(_ text: String) {
        #expect(errorLines("[[listen]]\naddress = \"\(text)\"") == [
            "tern.toml:2: listen[0].address: expected an address like \"127.0.0.1:2525\" or \"[::1]:2525\", got \"\(text)\"",
        ])
    }

    @Test(arguments: [
        "user", "user@", "@example.com", "a b@example.com", "<a@example.com>", "a..b@example.com", ".a@example.com",
        "a@exa mple.com", "a@-x.example", "a@[1.2.3]", "a@example..com", "a(b)@example.com",
    ])
    func forwardTargets(_ text: String) {
        #expect(errorLines("[local.forward]\n\"f@localhost\" = '\(text)'") == [
            "tern.toml:2: local.forward.\"f@localhost\": expected an address like \"user@example.com\", got \"\(text)\"",
        ])
    }

    @Test func theLaterOfTwoCaseDuplicatesIsReported() {
        #expect(errorLines("[local.forward]\n\"fwd@localhost\" = \"a@other.example\"\n\"FWD@localhost\" = \"b@other.example\"") == [
            "tern.toml:3: local.forward.\"FWD@localhost\": same address as \"fwd@localhost\" (addresses compare case-insensitively)",
        ])
    }
}
