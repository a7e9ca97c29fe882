import Glibc

/// An IPv4 or IPv6 address in network byte order, read from text by `inet_pton`.
struct IPAddress: Hashable, Sendable {
    /// `AF_INET` or `AF_INET6`.
    let family: Int32
    /// 4 or 16 octets.
    let octets: [UInt8]

    /// The address written in `text` (dotted quad, or IPv6 without brackets or zone), or nil.
    init?(_ text: String) {
        for (family, count) in [(AF_INET, 4), (AF_INET6, 16)] {
            var octets = [UInt8](repeating: 0, count: count)
            if inet_pton(family, text, &octets) == 1 {
                self.family = family
                self.octets = octets
                return
            }
        }
        return nil
    }
}
