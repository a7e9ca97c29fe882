import NIOCore
import TernFuzzing
import TernSASL
import TernSMTPCore

/// Fuzzes `ReplyParser` and the `ClientSession` it feeds with a hostile peer's replies, as the
/// outbound client meets them (RFC 5321 §4.2-4.3, RFC 2920, RFC 3030, RFC 3207, RFC 4954).
///
/// The first three octets choose the session (LMTP, STARTTLS, AUTH with PLAIN or SCRAM),
/// the messages handed over and the size of the reads; the rest is what the peer sends. TLS,
/// when the session asks for it, starts at once. Checked besides crashes:
/// - whatever the peer says, once the connection ends every message has had exactly one
///   result, with an outcome for each of its recipients in order;
/// - every command written is whole CRLF-terminated lines, with no bare CR or LF;
/// - nothing is done after the session closed the connection.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let (session, variant, readSize) = (input.byte(), input.byte(), Int(input.byte()))
    let peer = Array(input.rest())
    var transport = Transport(ClientSession(configuration: configuration(session)))
    let handedOver = messages(variant)
    for message in handedOver { transport.perform(transport.client.send(message)) }
    if session & 0x40 != 0 { transport.perform(transport.client.quit()) }

    var parser = ReplyParser()
    var start = 0
    while start < peer.count && !transport.closed {
        let end = readSize == 0 ? peer.count : min(peer.count, start + readSize)
        parser.append(ByteBuffer(bytes: peer[start..<end]))
        start = end
        do throws(ReplyParser.ParseError) {
            while !transport.closed, let reply = try parser.next() {
                require((200...599).contains(reply.code) && !reply.lines.isEmpty, "parsed \(reply)")
                transport.perform(transport.client.received(reply))
            }
        } catch {
            transport.perform(transport.client.failed(.malformedReply))
        }
    }
    transport.perform(transport.client.quit())
    transport.perform(transport.client.failed(.connectionLost))

    for message in handedOver {
        let results = transport.results.filter { $0.messageID == message.id }
        require(results.count == 1, "message \(message.id) has \(results.count) results")
        require(results[0].recipients.map(\.recipient) == message.recipients, "outcomes of \(message.id): \(results[0])")
    }
    return 0
}

/// Bits 0-5 of `flags`: LMTP, TLS available, TLS required, credentials, SCRAM-SHA-256 rather
/// than PLAIN, AUTH allowed without TLS.
private func configuration(_ flags: UInt8) -> ClientSessionConfiguration {
    let bit = { (n: UInt8) in flags & (1 << n) != 0 }
    let mechanism: any SASLClientMechanism = bit(4)
        ? SCRAMClientMechanism(username: "user", password: "pencil", nonce: "rOprNGfwEbeRWgbNEkqO")
        : PlainClientMechanism(username: "user", password: "pencil")
    return ClientSessionConfiguration(
        hostname: "client.example", lmtp: bit(0), requireTLS: bit(1) && bit(2), tlsAvailable: bit(1),
        credentials: bit(3) ? ClientCredentials(username: "user", mechanisms: [mechanism], allowInClearText: bit(5)) : nil)
}

/// One or two messages (bit 7 of `flags`); bits 0-6: 8-bit text, a UTF-8 address, DSN
/// parameters, a TRANSID, a size over common limits, two recipients, three recipients.
private func messages(_ flags: UInt8) -> [OutboundMessage] {
    let bit = { (n: UInt8) in flags & (1 << n) != 0 }
    let dsn = RcptParameters(notify: [.success, .failure], originalRecipient: OriginalRecipient(addressType: "rfc822", address: "a@example.org"))
    var recipients = [OutboundRecipient(path: .mailbox(Mailbox(localPart: bit(1) ? "jörg" : "a", domain: .name("example.org"))),
                                        parameters: bit(2) ? dsn : RcptParameters())]
    if bit(5) || bit(6) { recipients.append(OutboundRecipient(path: .postmaster)) }
    if bit(6) { recipients.append(OutboundRecipient(path: .mailbox(Mailbox(localPart: "b", domain: .name("example.net"))))) }
    let parameters = MailParameters(ret: bit(2) ? .headers : nil, envelopeID: bit(2) ? "id 1" : nil,
                                    transactionID: bit(3) ? "<t1@client.example>" : nil)
    let first = OutboundMessage(id: "m1", sender: .mailbox(Mailbox(localPart: "s", domain: .name("client.example"))),
                                recipients: recipients, parameters: parameters, size: bit(4) ? 60_000_000 : 120,
                                needs8bit: bit(0))
    guard bit(7) else { return [first] }
    return [first, OutboundMessage(id: "m2", sender: .null, recipients: Array(recipients.reversed()), size: 10)]
}

/// Plays the transport: performs the session's actions and records what matters.
struct Transport {
    var client: ClientSession
    private(set) var results: [MessageResult] = []
    private(set) var closed = false

    init(_ client: ClientSession) {
        self.client = client
    }

    mutating func perform(_ actions: [ClientAction]) {
        for action in actions {
            require(!closed, "\(action) after the connection was closed")
            switch action {
            case .send(let buffer):
                checkCommands(Array(buffer.readableBytesView))
            case .startTLS:
                perform(client.tlsStarted())
            case .sendBody:
                break
            case .messageResult(let result):
                results.append(result)
            case .close:
                closed = true
            }
        }
    }

    private func checkCommands(_ bytes: [UInt8]) {
        require(bytes.count >= 2 && bytes.suffix(2) == [13, 10], "commands not ending in CRLF: \(bytes)")
        for (index, byte) in bytes.enumerated() where byte == 13 || byte == 10 {
            let paired = byte == 13 ? bytes[index + 1] == 10 : index > 0 && bytes[index - 1] == 13
            require(paired, "bare CR or LF in commands: \(String(decoding: bytes, as: UTF8.self).debugDescription)")
        }
    }
}

@main
enum Main {
    static func main() {
        FuzzTarget.main(testOneInput)
    }
}
