package import TernSMTPCore

/// An IPv4 or IPv6 network in CIDR form: `192.0.2.0/24`, `127.0.0.1`, `::1/128`.
///
/// Used for the clients exempt from the per-client connection limit
/// (`limits.exempt_networks` in docs/configuration.md).
package struct Network: Sendable, Hashable, CustomStringConvertible {
    /// The network address, host bits cleared.
    let address: IPAddress
    /// How many leading bits a member shares with ``address``.
    package let prefixLength: Int

    /// `127.0.0.0/8`.
    package static let ipv4Loopback = Network(address: IPAddress(bytes: [127, 0, 0, 0]), prefixLength: 8)
    /// `::1/128`.
    package static let ipv6Loopback = Network(
        address: IPAddress(bytes: Array(repeating: 0, count: 15) + [1]), prefixLength: 128)

    init(address: IPAddress, prefixLength: Int) {
        self.address = address.masked(to: prefixLength)
        self.prefixLength = prefixLength
    }

    /// Parses `address` or `address/prefix-length`; a bare address is a network of one
    /// (`/32` or `/128`). Host bits set after the prefix are cleared (`10.1.2.3/8` is `10.0.0.0/8`).
    /// Returns nil for anything else, including IPv6 zones and brackets.
    package init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else { return nil }
        let bits = address.bytes.count * 8
        var prefixLength = bits
        if parts.count == 2 {
            guard (1...3).contains(parts[1].count), parts[1].allSatisfy({ $0.isASCII && $0.isNumber }),
                  let length = Int(parts[1]), length <= bits
            else { return nil }
            prefixLength = length
        }
        self.init(address: address, prefixLength: prefixLength)
    }

    /// `address/prefix-length`, the address in canonical form.
    package var description: String { "\(address)/\(prefixLength)" }

    /// Whether the client address `text` (as a socket reports it, an IPv6 zone such as `%eth0`
    /// allowed) is in this network. An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`, as a
    /// dual-stack socket reports IPv4 clients) matches IPv4 networks. Text that is not an
    /// address is in no network.
    package func contains(address text: String) -> Bool {
        let withoutZone = text.split(separator: "%", maxSplits: 1, omittingEmptySubsequences: false)[0]
        guard let candidate = IPAddress(withoutZone) else { return false }
        return contains(candidate)
    }

    /// Whether `candidate` is in this network.
    package func contains(_ candidate: IPAddress) -> Bool {
        var candidate = candidate
        if address.isIPv4, let ipv4 = candidate.unmappedIPv4 { candidate = ipv4 }
        guard candidate.bytes.count == address.bytes.count else { return false }
        return candidate.masked(to: prefixLength) == address
    }
}
