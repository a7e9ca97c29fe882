package import TernSMTPCore

/// The `Received:` field Tern adds to every message it delivers or relays (RFC 5321 §4.4,
/// docs/behaviour.md §11), written once for the Maildir courier and the relay.
package enum TraceFields {
    /// `Received: from <client> ([address]) (using TLS…) by <hostname> (Tern) with <protocol> id <id>
    /// [for <recipient>]; <date>`, folded, each line ended by `lineEnding`.
    package static func received(
        _ envelope: Envelope, for recipient: ForwardPath?, hostname: String, lineEnding: String
    ) -> String {
        let address = envelope.clientAddress.contains(":") && !envelope.clientAddress.hasPrefix("IPv6:")
            ? "IPv6:\(envelope.clientAddress)" : envelope.clientAddress
        var lines = ["Received: from \(headerSafe(envelope.clientName)) ([\(headerSafe(address))])"]
        if let tls = envelope.tls { lines.append("\t(using \(headerSafe(tls)))") }
        lines.append("\tby \(headerSafe(hostname)) (Tern) with \(headerSafe(envelope.protocolName)) id \(envelope.id)")
        let date = UTCTimestamp(envelope.receivedAt).rfc5322
        if let recipient {
            lines.append("\tfor \(headerSafe(recipient.description)); \(date)")
        } else {
            lines[lines.count - 1] += "; \(date)"
        }
        return lines.map { $0 + lineEnding }.joined()
    }

    /// The TRANSID (RFC 1845) of a message relayed with `trace` before its stored text: the same
    /// for every attempt that sends the same octets, so a peer that kept part of them can resume,
    /// and different when the text differs (the trace names another single recipient). Nil
    /// when it would exceed RFC 1845's 80 characters.
    package static func transactionID(of envelope: Envelope, trace: String, hostname: String) -> String? {
        var hash: UInt32 = 2_166_136_261
        for byte in trace.utf8 {
            hash = (hash ^ UInt32(byte)) &* 16_777_619
        }
        let hex = String(hash, radix: 16)
        let id = "<\(envelope.id).\(String(repeating: "0", count: 8 - hex.count) + hex)@\(hostname)>"
        guard id.utf8.count <= SMTPDefaults.transactionIDLimit,
              case .name = try? AddressParser.domain(Substring(hostname)) else { return nil }
        return id
    }

    /// A value from the client or the configuration, made safe for a header line.
    package static func headerSafe(_ value: String) -> String {
        String(String.UnicodeScalarView(value.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
    }
}
