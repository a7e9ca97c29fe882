#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
package import TernSMTPCore

/// This server's own listening sockets, so that relayed mail never connects back to it
/// (RFC 5321 §5.1, docs/behaviour.md §11): the same address and port, or a wildcard listener's port on
/// any address of this host (its interfaces, and all of 127.0.0.0/8 and ::1).
package struct OwnEndpoints: Hashable, Sendable {
    /// A listening socket: its IP address as text (`0.0.0.0` and `::` for every address) and port.
    package struct Endpoint: Hashable, Sendable {
        package var host: String
        package var port: Int

        package init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }

    package var listeners: [Endpoint]
    /// The addresses of this host's interfaces, for wildcard listeners.
    package var interfaceAddresses: Set<IPAddress>

    /// The listeners; the interface addresses are read from the system (`getifaddrs(3)`).
    package init(listeners: [Endpoint] = []) {
        self.listeners = listeners
        interfaceAddresses = listeners.contains { IPAddress($0.host)?.isUnspecified == true } ? Self.interfaces() : []
    }

    /// Whether a connection to `host` (an IP address as text; names are never matched) and
    /// `port` reaches one of the listeners.
    package func reaches(host: String, port: Int) -> Bool {
        guard let target = IPAddress(host).map({ $0.unmappedIPv4 ?? $0 }) else { return false }
        return listeners.contains { listener in
            guard listener.port == port, let bound = IPAddress(listener.host).map({ $0.unmappedIPv4 ?? $0 }) else {
                return false
            }
            if bound == target { return true }
            guard bound.isUnspecified, bound.isIPv4 == target.isIPv4 || !bound.isIPv4 else { return false }
            return interfaceAddresses.contains(target) || Self.isLoopback(target)
        }
    }

    private static func isLoopback(_ address: IPAddress) -> Bool {
        address.isIPv4 ? address.bytes[0] == 127 : address.bytes == Array(repeating: 0, count: 15) + [1]
    }

    private static func interfaces() -> Set<IPAddress> {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return [] }
        defer { freeifaddrs(list) }
        var addresses: Set<IPAddress> = []
        for entry in sequence(first: first, next: { $0.pointee.ifa_next }) {
            guard let socketAddress = entry.pointee.ifa_addr else { continue }
            switch Int32(socketAddress.pointee.sa_family) {
            case AF_INET:
                addresses.insert(IPAddress(bytes: socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                    withUnsafeBytes(of: $0.pointee.sin_addr) { Array($0) }
                }))
            case AF_INET6:
                addresses.insert(IPAddress(bytes: socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                    withUnsafeBytes(of: $0.pointee.sin6_addr) { Array($0) }
                }))
            default:
                continue
            }
        }
        return addresses
    }
}
