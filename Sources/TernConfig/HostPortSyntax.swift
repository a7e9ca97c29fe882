import TernPolicy
import TernSMTPCore

/// A host and a port as the config writes a server to connect to: `"smtp.example.net:587"`,
/// `"192.0.2.25:25"`, `"[2001:db8::25]:25"`. The host is a host name or an IP address (IPv6 in
/// brackets, no zone); the port is required and is 1–65535.
enum HostPortSyntax {
    /// Why a text is not a host and port.
    enum Problem: Error {
        /// The host is not a host name or IP address, or is IPv6 without brackets.
        case badHost
        /// There is no `:PORT` after the host.
        case missingPort
        /// The port is not a number from 1 to 65535.
        case badPort
    }

    /// The host (IPv4 and IPv6 in canonical form without brackets, names lower-cased) and
    /// port of `text`. With `addressesOnly`, a host name is a ``Problem/badHost``.
    static func parse(_ text: some StringProtocol, addressesOnly: Bool = false) -> Result<(host: String, port: Int), Problem> {
        let text = Substring(text)
        let hostText: Substring
        let portText: Substring?
        let host: String?
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return .failure(.badHost) }
            hostText = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.isEmpty || rest.hasPrefix(":") else { return .failure(.badHost) }
            portText = rest.isEmpty ? nil : rest.dropFirst()
            host = IPAddress(ipv6: hostText)?.description
        } else {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            // More than one colon: an IPv6 address without brackets, or worse.
            guard parts.count <= 2 else { return .failure(.badHost) }
            hostText = parts[0]
            portText = parts.count == 2 ? parts[1] : nil
            host = addressesOnly ? IPAddress(ipv4: hostText)?.description : Self.ipv4OrName(hostText)
        }
        guard let host else { return .failure(.badHost) }
        guard let portText, !portText.isEmpty else { return .failure(.missingPort) }
        guard let port = port(portText) else { return .failure(.badPort) }
        return .success((host, port))
    }

    /// A TCP port written as 1 to 5 digits, 1–65535.
    static func port(_ text: Substring) -> Int? {
        guard (1...5).contains(text.count), text.allSatisfy({ $0.isASCII && $0.isWholeNumber }),
              let port = Int(text), (1...65_535).contains(port)
        else { return nil }
        return port
    }

    /// A dotted-quad IPv4 address, or a host name lower-cased. A name whose last label is all
    /// digits is refused: no top-level domain is numeric, so it is a mistyped IPv4 address.
    private static func ipv4OrName(_ text: Substring) -> String? {
        if let address = IPAddress(ipv4: text) { return address.description }
        guard AddressSyntax.isHostName(String(text)),
              let last = text.split(separator: ".").last, !last.allSatisfy({ $0.isASCII && $0.isWholeNumber })
        else { return nil }
        return text.lowercased()
    }
}
