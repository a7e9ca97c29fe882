// SinkServer [PORT]: an SMTP server on 127.0.0.1 that prints every message it receives.
import Glibc
import NIOCore
import TernSMTPCore
import TernSMTPServer

/// Every sender and recipient is accepted (the defaults); each message goes to a printer.
struct Printer: SMTPSessionHandler {
    func beginMessage() async throws(Reply) -> any SMTPMessageSink { MessagePrinter() }
}

/// Collects one message's text and prints it, with its envelope, once it is complete.
actor MessagePrinter: SMTPMessageSink {
    var text = ByteBuffer()

    func write(_ bytes: ByteBuffer) { text.writeImmutableBuffer(bytes) }

    func commit(_ summary: MessageSummary) -> QueueID {
        let id = QueueID.random()
        print("message \(id) from \(summary.sender) to \(summary.recipients.map(\.path.description).joined(separator: " "))")
        print(String(buffer: text), terminator: "")
        print("end of message \(id)")
        fflush(nil)  // at once, also into a pipe
        return id
    }

    func abort() {}
}

let port = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 2525
let server = try await SMTPServer(
    configuration: SMTPServerConfiguration(
        host: "127.0.0.1", port: port, session: ServerSessionConfiguration(hostname: "sink.example"))
) { _ in Printer() }
print("listening on 127.0.0.1:\(server.localPort ?? port)")
fflush(nil)
try await server.run()
