extension IPAddress: CustomStringConvertible {
    /// Dotted quad for IPv4; for IPv6 the RFC 5952 form: lower-case hex, the longest run of
    /// two or more zero groups written `::`, IPv4-mapped addresses as `::ffff:192.0.2.1`.
    public var description: String {
        if isIPv4 { return bytes.map(String.init).joined(separator: ".") }
        if let ipv4 = unmappedIPv4 { return "::ffff:\(ipv4)" }
        let groups = stride(from: 0, to: 16, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
        var best: Range<Int>?
        var index = 0
        while index < groups.count {
            guard groups[index] == 0 else { index += 1; continue }
            let start = index
            while index < groups.count, groups[index] == 0 { index += 1 }
            if index - start >= 2, index - start > (best?.count ?? 0) { best = start..<index }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard let run = best else { return hex.joined(separator: ":") }
        return hex[..<run.lowerBound].joined(separator: ":") + "::" + hex[run.upperBound...].joined(separator: ":")
    }
}
