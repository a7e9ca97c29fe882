import TernPolicy
import TernSMTPCore

/// Addresses to listen on: `"127.0.0.1:2525"`, `"[::1]:2525"`, `"0.0.0.0:25"`. The host is an
/// IP address (IPv6 in brackets, no zone); the port is 1–65535.
enum ListenAddressSyntax {
    /// The host and port of `text`, nil when it is not a listen address.
    static func parse(_ text: String) -> (host: IPAddress, port: Int)? {
        let hostText: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[close...].hasPrefix("]:") else { return nil }
            hostText = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
            guard let host = IPAddress(ipv6: hostText) else { return nil }
            return HostPortSyntax.port(portText).map { (host, $0) }
        }
        guard let colon = text.lastIndex(of: ":") else { return nil }
        hostText = text[..<colon]
        portText = text[text.index(after: colon)...]
        guard let host = IPAddress(ipv4: hostText) else { return nil }
        return HostPortSyntax.port(portText).map { (host, $0) }
    }
}
