package import TernSMTPCore

/// `[routes]`: the next hop for some domains, checked before the smarthost and MX lookup.
///
/// A key `example.net` matches that domain; a key `.example.net` matches `example.net` and
/// every subdomain. An exact key wins over a `.` key, and a longer `.` key over a shorter one.
/// Keys compare without regard to case.
package struct RouteTable: Hashable, Sendable {
    private var exact: [String: NextHop] = [:]
    private var suffixes: [String: NextHop] = [:]

    /// A table from `tern.toml` keys to next hops.
    package init(_ routes: [String: NextHop] = [:]) {
        for (key, hop) in routes {
            let name = key.lowercased()
            if name.hasPrefix(".") {
                suffixes[String(name.dropFirst())] = hop
            } else {
                exact[name] = hop
            }
        }
    }

    /// No routes at all.
    package var isEmpty: Bool {
        exact.isEmpty && suffixes.isEmpty
    }

    /// The route for `domain`, or nil when the table has none.
    package func nextHop(for domain: Domain) -> NextHop? {
        let name = domain.normalized
        if let hop = exact[name] { return hop }
        var candidate = Substring(name)
        while true {
            if let hop = suffixes[String(candidate)] { return hop }
            guard let dot = candidate.firstIndex(of: ".") else { return nil }
            candidate = candidate[candidate.index(after: dot)...]
        }
    }
}
