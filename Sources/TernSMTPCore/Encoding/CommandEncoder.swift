public import NIOCore

/// Writes the client's command lines, CRLF included, into a buffer.
///
/// MAIL and RCPT carry only the parameters the peer advertised in `PeerCapabilities`: SIZE with
/// SIZE, BODY with 8BITMIME, SMTPUTF8 with SMTPUTF8, RET, ENVID, NOTIFY and ORCPT with DSN, AUTH=
/// with AUTH. TRANSID (RFC 1845) is never sent, as no EHLO keyword announces it.
///
/// SeeAlso: RFC 5321 §4.1.1, RFC 2033 §4.1, RFC 1870, RFC 6152, RFC 6531, RFC 3461 §4,
/// RFC 4954 §4-5, RFC 3030 §2, RFC 3207.
public enum CommandEncoder {
    /// `EHLO <host>`.
    public static func ehlo(_ host: String, into buffer: inout ByteBuffer) {
        write("EHLO \(host)", into: &buffer)
    }

    /// `HELO <host>`.
    public static func helo(_ host: String, into buffer: inout ByteBuffer) {
        write("HELO \(host)", into: &buffer)
    }

    /// `LHLO <host>` (RFC 2033 §4.1).
    public static func lhlo(_ host: String, into buffer: inout ByteBuffer) {
        write("LHLO \(host)", into: &buffer)
    }

    /// `MAIL FROM:<path>` with the parameters `peer` supports.
    ///
    ///     mail = "MAIL FROM:" Reverse-path [SP Mail-parameters] CRLF
    public static func mail(
        from path: ReversePath, _ parameters: MailParameters, peer: PeerCapabilities, into buffer: inout ByteBuffer
    ) {
        var line = "MAIL FROM:\(path)"
        if peer.size, let size = parameters.size { line += " SIZE=\(size)" }
        if peer.eightBitMIME, let body = parameters.body { line += " BODY=\(body.rawValue)" }
        if peer.smtpUTF8 && parameters.smtpUTF8 { line += " SMTPUTF8" }
        if peer.dsn {
            if let ret = parameters.ret { line += " RET=\(ret.rawValue)" }
            if let envelopeID = parameters.envelopeID { line += " ENVID=\(xtext(envelopeID))" }
        }
        if !peer.authMechanisms.isEmpty, let auth = parameters.auth {
            line += " AUTH=" + (auth == "<>" ? auth : xtext(auth))
        }
        if peer.checkpoint, let transactionID = parameters.transactionID { line += " TRANSID=\(transactionID)" }
        write(line, into: &buffer)
    }

    /// `RCPT TO:<path>` with the parameters `peer` supports.
    ///
    ///     rcpt = "RCPT TO:" ( "<Postmaster@" Domain ">" / "<Postmaster>" / Forward-path ) [SP Rcpt-parameters] CRLF
    ///     notify-esmtp-value = "NEVER" / 1#( "SUCCESS" / "FAILURE" / "DELAY" )
    ///     orcpt-parameter = "ORCPT=" addr-type ";" xtext
    public static func rcpt(
        to path: ForwardPath, _ parameters: RcptParameters, peer: PeerCapabilities, into buffer: inout ByteBuffer
    ) {
        var line = "RCPT TO:\(path)"
        if peer.dsn {
            if let notify = parameters.notify {
                let names = [(NotifyConditions.success, "SUCCESS"), (.failure, "FAILURE"), (.delay, "DELAY")]
                    .filter { notify.contains($0.0) }.map(\.1)
                line += " NOTIFY=" + (names.isEmpty ? "NEVER" : names.joined(separator: ","))
            }
            if let original = parameters.originalRecipient {
                line += " ORCPT=\(original.addressType);\(xtext(original.address))"
            }
        }
        write(line, into: &buffer)
    }

    /// `DATA`.
    public static func data(into buffer: inout ByteBuffer) {
        write("DATA", into: &buffer)
    }

    /// `BDAT <size>` or `BDAT <size> LAST` (RFC 3030 §2); the chunk's octets follow it.
    public static func bdat(size: Int, last: Bool, into buffer: inout ByteBuffer) {
        write(last ? "BDAT \(size) LAST" : "BDAT \(size)", into: &buffer)
    }

    /// `RSET`.
    public static func rset(into buffer: inout ByteBuffer) {
        write("RSET", into: &buffer)
    }

    /// `QUIT`.
    public static func quit(into buffer: inout ByteBuffer) {
        write("QUIT", into: &buffer)
    }

    /// `STARTTLS` (RFC 3207 §4).
    public static func startTLS(into buffer: inout ByteBuffer) {
        write("STARTTLS", into: &buffer)
    }

    /// `AUTH <mechanism> [initial-response]`; an empty initial response is sent as `=`
    /// (RFC 4954 §4).
    public static func auth(mechanism: String, initialResponse: [UInt8]?, into buffer: inout ByteBuffer) {
        var line = "AUTH \(mechanism)"
        if let initialResponse { line += " " + (initialResponse.isEmpty ? "=" : Base64.encode(initialResponse)) }
        write(line, into: &buffer)
    }

    /// A SASL response to a 334 challenge, base64-encoded, or `*` to cancel the exchange when
    /// `response` is nil (RFC 4954 §4).
    public static func authResponse(_ response: [UInt8]?, into buffer: inout ByteBuffer) {
        write(response.map { Base64.encode($0) } ?? "*", into: &buffer)
    }

    /// RFC 3461 xtext: `+`, `=`, and octets outside `!`...`~` as `+XX` (upper-case hex), UTF-8
    /// octet by octet.
    ///
    ///     xtext   = *( xchar / hexchar )
    ///     xchar   = any ASCII CHAR between "!" (33) and "~" (126) inclusive, except for "+" and "="
    ///     hexchar = "+" 2(%x30-39 / %x41-46)
    public static func xtext(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            if (33...126).contains(byte) && byte != UInt8(ascii: "+") && byte != UInt8(ascii: "=") {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "+"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func write(_ line: String, into buffer: inout ByteBuffer) {
        buffer.writeString(line)
        buffer.writeStaticString("\r\n")
    }
}
