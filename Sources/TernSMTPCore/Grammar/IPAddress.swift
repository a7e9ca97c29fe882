/// An IPv4 or IPv6 address as its network-order bytes, parsed from text without the resolver.
///
/// Used for a connected client's address (`ConnectionInfo` of TernSMTPServer), address
/// literals, networks (`limits.exempt_networks`), listen addresses and the resolver's name
/// servers.
public struct IPAddress: Hashable, Sendable {
    /// 4 bytes for IPv4, 16 for IPv6.
    public let bytes: [UInt8]

    /// Whether this is an IPv4 address.
    public var isIPv4: Bool { bytes.count == 4 }

    /// Whether this is a loopback address: `127.0.0.0/8`, `::1`, or `127.x.y.z` mapped into IPv6.
    public var isLoopback: Bool {
        if let ipv4 = unmappedIPv4 { return ipv4.isLoopback }
        return isIPv4 ? bytes[0] == 127 : bytes == Array(repeating: 0, count: 15) + [1]
    }

    /// Whether this is `0.0.0.0` or `::`, the address that listens on every interface.
    package var isUnspecified: Bool { bytes.allSatisfy { $0 == 0 } }

    /// The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`), if this is one.
    package var unmappedIPv4: IPAddress? {
        guard bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff
        else { return nil }
        return IPAddress(bytes: Array(bytes[12...]))
    }

    package init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Parses `192.0.2.1` or an IPv6 address such as `2001:db8::1` (no brackets, no zone).
    public init?(_ text: some StringProtocol) {
        if let ipv4 = Self.parseIPv4(Substring(text)) {
            bytes = ipv4
        } else if let ipv6 = Self.parseIPv6(Substring(text)) {
            bytes = ipv6
        } else {
            return nil
        }
    }

    /// Parses dotted-quad IPv4 only.
    package init?(ipv4 text: some StringProtocol) {
        guard let ipv4 = Self.parseIPv4(Substring(text)) else { return nil }
        bytes = ipv4
    }

    /// Parses IPv6 only.
    package init?(ipv6 text: some StringProtocol) {
        guard let ipv6 = Self.parseIPv6(Substring(text)) else { return nil }
        bytes = ipv6
    }

    /// The address with every bit after the first `prefixLength` cleared.
    package func masked(to prefixLength: Int) -> IPAddress {
        var masked = bytes
        for index in masked.indices {
            let bitsKept = min(max(prefixLength - index * 8, 0), 8)
            masked[index] &= bitsKept == 0 ? 0 : UInt8(truncatingIfNeeded: 0xff << (8 - bitsKept))
        }
        return IPAddress(bytes: masked)
    }

    private static func parseIPv4(_ text: Substring) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var result: [UInt8] = []
        for part in parts {
            // Leading zeros are refused: some tools read them as octal.
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCIIDigitCharacter),
                  part.count == 1 || part.first != "0", let value = UInt8(part)
            else { return nil }
            result.append(value)
        }
        return result
    }

    private static func parseIPv6(_ text: Substring) -> [UInt8]? {
        let halves = text.split(separator: "::", omittingEmptySubsequences: false)
        guard halves.count <= 2 else { return nil }
        let compressed = halves.count == 2
        guard let head = parseGroups(halves[0], endsAddress: !compressed) else { return nil }
        var groups = head
        if compressed {
            guard let tail = parseGroups(halves[1], endsAddress: true), head.count + tail.count <= 7 else { return nil }
            groups += Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard groups.count == 8 else { return nil }
        return groups.flatMap { [UInt8(truncatingIfNeeded: $0 >> 8), UInt8(truncatingIfNeeded: $0)] }
    }

    /// Colon-separated groups of 1 to 4 hex digits; the last group of the address may be IPv4.
    private static func parseGroups(_ text: Substring, endsAddress: Bool) -> [UInt16]? {
        guard !text.isEmpty else { return [] }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        var groups: [UInt16] = []
        for (index, part) in parts.enumerated() {
            if endsAddress, index == parts.count - 1, part.contains(".") {
                guard let ipv4 = parseIPv4(part) else { return nil }
                groups.append(UInt16(ipv4[0]) << 8 | UInt16(ipv4[1]))
                groups.append(UInt16(ipv4[2]) << 8 | UInt16(ipv4[3]))
            } else {
                guard (1...4).contains(part.count), part.allSatisfy(\.isHexDigit), let group = UInt16(part, radix: 16)
                else { return nil }
                groups.append(group)
            }
        }
        return groups
    }
}

private extension Character {
    var isASCIIDigitCharacter: Bool { isASCII && isWholeNumber }
}
