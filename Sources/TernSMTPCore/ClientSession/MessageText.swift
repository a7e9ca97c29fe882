/// A message's text as a client sends it, with what it needs of the peer worked out from it:
/// the input of ``OutboundMessage/init(id:sender:recipients:parameters:text:)``.
///
/// Line endings become CRLF: a bare LF or a bare CR is one line end (RFC 5321 §2.3.8 allows
/// no other), and a text that does not end with a line end gets one, since BDAT sends the
/// text as it is and a server refuses a last line without CRLF (docs/behaviour.md §7.3).
/// Dots are not stuffed here: DATA does that as it sends.
///
/// SeeAlso: RFC 5321 §2.3.8, §4.5.2, RFC 6152 §3, RFC 6531 §3.2.
public struct MessageText: Sendable, Hashable {
    /// The text with CRLF line endings, ending with CRLF (empty stays empty).
    public let bytes: [UInt8]
    /// Some octet is above 127: the peer must offer 8BITMIME (RFC 6152 §3).
    public let needs8bit: Bool
    /// Some octet of the header section (up to the first empty line) is above 127: UTF-8
    /// header fields, for which the peer must offer SMTPUTF8 (RFC 6531 §3.2).
    public let needsSMTPUTF8: Bool

    /// `text` with its line endings made CRLF.
    public init(_ text: some Sequence<UInt8>) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.underestimatedCount + 2)
        var previousCR = false
        for octet in text {
            switch octet {
            case 0x0A:
                if !previousCR { bytes.append(0x0D) }
                bytes.append(0x0A)
                previousCR = false
            case 0x0D:
                if previousCR { bytes.append(0x0A) }
                bytes.append(0x0D)
                previousCR = true
            default:
                if previousCR { bytes.append(0x0A) }
                bytes.append(octet)
                previousCR = false
            }
        }
        if previousCR {
            bytes.append(0x0A)
        } else if let last = bytes.last, last != 0x0A {
            bytes += [0x0D, 0x0A]
        }
        self.bytes = bytes
        needs8bit = bytes.contains { $0 > 127 }
        needsSMTPUTF8 = needs8bit && Self.headerSection(of: bytes).contains { $0 > 127 }
    }

    /// `text`'s UTF-8 octets with their line endings made CRLF.
    public init(_ text: String) {
        self.init(text.utf8)
    }

    /// The octets before the first empty line (all of them when there is none).
    private static func headerSection(of bytes: [UInt8]) -> ArraySlice<UInt8> {
        if bytes.starts(with: [0x0D, 0x0A]) { return [] }
        var index = bytes.startIndex
        while index + 3 < bytes.endIndex {
            if bytes[index] == 0x0D && bytes[index + 1] == 0x0A && bytes[index + 2] == 0x0D && bytes[index + 3] == 0x0A {
                return bytes[..<index]
            }
            index += 1
        }
        return bytes[...]
    }
}

extension OutboundMessage {
    /// A message whose size and needs come from its text: `text.bytes` is what the transport
    /// must stream for it.
    public init(
        id: String, sender: ReversePath, recipients: [OutboundRecipient], parameters: MailParameters = MailParameters(),
        text: MessageText
    ) {
        self.init(id: id, sender: sender, recipients: recipients, parameters: parameters, size: text.bytes.count,
                  needs8bit: text.needs8bit, needsSMTPUTF8: text.needsSMTPUTF8)
    }
}
