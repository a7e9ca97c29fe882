import Testing
import TernConfig
import TernPolicy
import TernSMTPCore

/// `[[etrn.node]]`, `[odmr]` and the `odmr` listener role (docs/configuration.md).
@Suite struct OnDemandConfigTests {
    static let source = """
        [[listen]]
        role = "mx"
        address = "127.0.0.1:2525"
        [[listen]]
        role = "odmr"
        address = "127.0.0.1:2366"
        [local]
        domains = ["example.com"]
        [[etrn.node]]
        domain = "Node.example.net"
        clients = ["192.0.2.0/24"]
        [[etrn.node]]
        domain = "open.example.net"
        [[etrn.node]]
        domain = "sub.open.example.net"
        [odmr.domains]
        "dial.example.net" = "Carol"
        "node.example.net" = "carol"
        """

    @Test func holdDomainsLoad() throws {
        let configuration = try load(Self.source)
        #expect(configuration.listeners.map(\.role) == [.mx, .odmr])
        let hold = configuration.local.holdDomains
        #expect(hold.names == ["node.example.net", "open.example.net", "sub.open.example.net", "dial.example.net"])
        #expect(configuration.delivery.holdDomains == hold.names)
        #expect(hold.nodes["node.example.net"] == HoldDomains.Node(
            name: "node.example.net", etrn: .networks([Network("192.0.2.0/24")!]), odmrAccount: "carol"))
        #expect(hold.nodes["dial.example.net"]?.etrn == nil)
    }

    @Test func etrnPermission() throws {
        let hold = try load(Self.source).local.holdDomains
        let node = ETRNRequest(node: .name("node.example.net"), scope: .node)
        #expect(hold.etrnNodes(for: node, clientAddress: "192.0.2.7") == .success(["node.example.net"]))
        #expect(hold.etrnNodes(for: node, clientAddress: "127.0.0.1") == .failure(.clientNotAllowed))
        let dial = ETRNRequest(node: .name("dial.example.net"), scope: .node)
        #expect(hold.etrnNodes(for: dial, clientAddress: "192.0.2.7") == .failure(.notHeld))
        let below = ETRNRequest(node: .name("open.example.net"), scope: .subdomains)
        #expect(hold.etrnNodes(for: below, clientAddress: "127.0.0.1") == .success(["open.example.net", "sub.open.example.net"]))
        let parent = ETRNRequest(node: .name("example.net"), scope: .subdomains)
        #expect(hold.etrnNodes(for: parent, clientAddress: "127.0.0.1") == .success(["open.example.net", "sub.open.example.net"]))
    }

    @Test func atrnOwnership() throws {
        let hold = try load(Self.source).local.holdDomains
        #expect(hold.atrnDomains(for: .allOwned, account: "carol") == ["dial.example.net", "node.example.net"])
        #expect(hold.atrnDomains(for: .domains([.name("DIAL.example.net")]), account: "carol") == ["dial.example.net"])
        #expect(hold.atrnDomains(for: .domains([.name("dial.example.net"), .name("open.example.net")]), account: "carol") == nil)
        #expect(hold.atrnDomains(for: .allOwned, account: "dave") == [])
    }

    @Test func holdDomainsTakeMailFromAnyone() throws {
        let local = try load(Self.source).local
        let held = Mailbox(localPart: "x", domain: .name("DIAL.example.net"))
        #expect(local.resolve(.mailbox(held), relayAllowed: false) == .accept([.remote(held)]))
        #expect(local.verify(held, relayAllowed: false) == .cannotVerify)
        let other = Mailbox(localPart: "x", domain: .name("other.example"))
        #expect(local.resolve(.mailbox(other), relayAllowed: false) == .relayDenied)
    }
}

/// `[checkpoint]` (docs/configuration.md, docs/behaviour.md §16).
@Suite struct CheckpointConfigTests {
    @Test func defaultsAndValues() throws {
        #expect(try load("").checkpoint == TernConfiguration.Checkpoint(keepPartial: .seconds(86_400), syncEvery: 262_144))
        let configuration = try load("[checkpoint]\nkeep_partial = \"2h\"\nsync_every = \"1MiB\"\n")
        #expect(configuration.checkpoint == TernConfiguration.Checkpoint(keepPartial: .seconds(7_200), syncEvery: 1_048_576))
    }
}
