import Testing
import TernPolicy

/// Relayed mail never connects back to this server's own listeners (docs/behaviour.md §11).
@Suite struct OwnEndpointsTests {
    @Test func exactListener() {
        let own = OwnEndpoints(listeners: [.init(host: "127.0.0.1", port: 2525), .init(host: "::1", port: 2526)])
        #expect(own.reaches(host: "127.0.0.1", port: 2525))
        #expect(own.reaches(host: "::ffff:127.0.0.1", port: 2525))
        #expect(own.reaches(host: "::1", port: 2526))
        #expect(!own.reaches(host: "127.0.0.2", port: 2525), "bound to 127.0.0.1 only")
        #expect(!own.reaches(host: "127.0.0.1", port: 25))
        #expect(!own.reaches(host: "localhost", port: 2525), "names are not matched")
    }

    @Test func wildcardListenerCoversEveryLocalAddress() {
        let own = OwnEndpoints(listeners: [.init(host: "0.0.0.0", port: 25)])
        #expect(own.reaches(host: "127.0.0.1", port: 25))
        #expect(own.reaches(host: "127.3.4.5", port: 25))
        #expect(!own.reaches(host: "192.0.2.1", port: 25), "a documentation address is no interface here")
        #expect(!own.reaches(host: "127.0.0.1", port: 587))
    }
}
