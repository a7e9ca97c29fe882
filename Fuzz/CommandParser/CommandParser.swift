import NIOCore
import TernFuzzing
import TernSMTPCore

/// Fuzzes the command-line parsers of `TernSMTPCore/Parser` with one command line (the input,
/// as the framer hands it to the session: no line ending, any octets).
///
/// Besides not crashing, what the server accepts must survive a relay: a parsed `MAIL` or
/// `RCPT` written out again by `CommandEncoder` (for a peer that supports every extension)
/// must parse back to the same path and parameters (RFC 5321 §4.1.2, §4.1.1.2-3), and an
/// IP address written out by `IPAddress` must parse back to the same address.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    // As `ServerSession.received(_:)` reads a line.
    let text = String(decoding: input.rest(), as: UTF8.self)
    let line = SplitCommandLine(text)
    require(!line.verbText.contains(" ") && !line.argument.hasSuffix(" "), "command line split \(text.debugDescription)")
    let argument = line.argument
    switch line.verb {
    case .mail:
        checkMail(argument)
    case .rcpt:
        checkRecipient(argument, utf8: false)
        checkRecipient(argument, utf8: true)
    case .etrn:
        _ = ETRNRequest(argument: argument)
    case .atrn:
        _ = ATRNRequest(argument: argument)
    default:
        _ = try? AddressParser.domain(Substring(argument))
        _ = try? AddressParser.mailbox(Substring(argument), utf8: true)
        checkIPAddress(argument)
    }
    return 0
}

/// Every extension whose parameters `CommandEncoder` writes.
private let everything: PeerCapabilities = {
    var capabilities = PeerCapabilities(size: true, eightBitMIME: true, smtpUTF8: true, dsn: true, authMechanisms: ["PLAIN"])
    capabilities.checkpoint = true
    return capabilities
}()

/// The argument of the line `write` encodes: after the verb and its space, before CRLF.
private func encodedArgument(_ write: (inout ByteBuffer) -> Void) -> String {
    var buffer = ByteBuffer()
    write(&buffer)
    let line = buffer.readableBytesView
    require(line.suffix(2).elementsEqual("\r\n".utf8), "encoded line without CRLF: \(String(buffer: buffer))")
    return String(decoding: line.dropFirst(5).dropLast(2), as: UTF8.self)
}

private func checkMail(_ argument: String) {
    guard let command = try? TransactionCommandParser.mail(argument), case .success(let path) = command.path else {
        return
    }
    let again = encodedArgument { CommandEncoder.mail(from: path, command.parameters, peer: everything, into: &$0) }
    do throws(Reply) {
        let reparsed = try TransactionCommandParser.mail(again)
        require(reparsed.path == .success(path) && reparsed.parameters == command.parameters,
                "MAIL \(argument.debugDescription) re-encoded as \(again.debugDescription) parses differently: \(reparsed)")
    } catch {
        fatalError("MAIL \(argument.debugDescription) re-encoded as \(again.debugDescription) is refused: \(error)")
    }
}

private func checkRecipient(_ argument: String, utf8: Bool) {
    guard let command = try? TransactionCommandParser.rcpt(argument, smtpUTF8: utf8),
          case .success(let path) = command.path else { return }
    let again = encodedArgument { CommandEncoder.rcpt(to: path, command.parameters, peer: everything, into: &$0) }
    do throws(Reply) {
        let reparsed = try TransactionCommandParser.rcpt(again, smtpUTF8: utf8)
        require(reparsed.path == .success(path) && reparsed.parameters == command.parameters,
                "RCPT \(argument.debugDescription) re-encoded as \(again.debugDescription) parses differently: \(reparsed)")
    } catch {
        fatalError("RCPT \(argument.debugDescription) re-encoded as \(again.debugDescription) is refused: \(error)")
    }
}

private func checkIPAddress(_ text: String) {
    guard let address = IPAddress(text) else { return }
    require(IPAddress(address.description) == address, "IP address \(text.debugDescription) written as \(address)")
}

@main
enum Main {
    static func main() {
        FuzzTarget.main(testOneInput)
    }
}
