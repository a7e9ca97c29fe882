/// A DNS server the resolver asks (`[dns] servers`): an IP address and a port.
package struct NameServer: Hashable, Sendable, CustomStringConvertible {
    /// An IPv4 or IPv6 address, without brackets.
    package var address: String
    /// The UDP and TCP port, normally 53.
    package var port: Int

    package init(address: String, port: Int = 53) {
        self.address = address
        self.port = port
    }

    /// `192.0.2.53:53` or `[2001:db8::53]:53`.
    package var description: String {
        address.contains(":") ? "[\(address)]:\(port)" : "\(address):\(port)"
    }
}
