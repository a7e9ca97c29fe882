import Dispatch
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import TernFuzzing
import TernSASL
import TernSMTPCore
import TernSMTPServer

/// Fuzzes a whole server session as a client drives it over a connection: the real
/// connection code of `TernSMTPServer` (event handler, framer, `ServerSession`, pipelined
/// replies, SASL) over NIO's in-memory `NIOAsyncTestingChannel`, with a delegate that keeps
/// messages in memory.
///
/// The first octet chooses the listener and its limits, the second the size of the reads
/// (0: everything at once); the rest is what the client sends once greeted, after which it
/// shuts its side down. Checked besides crashes and hangs:
/// - the server's output is whole replies (RFC 5321 §4.2) whose text has no control
///   characters, whatever the client sent;
/// - every message committed has CRLF line ends only and lines of at most 1000 octets, and
///   is within the size limit (docs/behaviour.md §7.3);
/// - every message store opened is committed or aborted by the end, never written after.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let (flags, readSize) = (input.byte(), Int(input.byte()))
    let stream = Array(input.rest())
    let delegate = Delegate(refuseStore: flags & 0x20 != 0, failWrites: flags & 0x40 != 0)
    let configuration = configuration(flags)
    let output = blocking { await session(configuration, delegate, stream: stream, readSize: readSize) }
    checkReplies(output)
    for sink in delegate.sinks.withLockedValue({ $0 }) {
        let (text, state) = sink.state.withLockedValue { ($0.text, $0.phase) }
        require(state != .open, "a message store was left open")
        if state == .committed { checkMessage(text, limit: configuration.session.messageSizeLimit) }
    }
    return 0
}

/// Bits 0-1: `mx`, `submission`, `odmr`, or `mx` in no-mail mode; bit 2: AUTH (PLAIN, LOGIN,
/// CRAM-MD5, SCRAM-SHA-256, also without TLS); bit 3: CHECKPOINT; bit 4: small limits.
private func configuration(_ flags: UInt8) -> SMTPServerConfiguration {
    let bit = { (n: UInt8) in flags & (1 << n) != 0 }
    let role: ListenerRole = [.mx, .submission, .odmr, .mx][Int(flags & 3)]
    let small = bit(4)
    var session = ServerSessionConfiguration(
        hostname: "mx.example.com", role: role, acceptMail: flags & 3 != 3,
        messageSizeLimit: small ? 200 : 35 * 1_048_576, recipientLimit: small ? 2 : 100, badCommandLimit: small ? 3 : 20)
    session.offersCheckpoint = bit(3)
    return SMTPServerConfiguration(
        host: "127.0.0.1", port: 0, session: session,
        authentication: bit(2) ? .storedCredentials(Accounts(), allowPlaintext: true) : nil, authFailureDelay: .zero)
}

/// Runs the session: waits for the greeting, sends `stream` in reads of `readSize` octets,
/// shuts the client's side down, and returns everything the server wrote once it is done.
private func session(
    _ configuration: SMTPServerConfiguration, _ delegate: Delegate, stream: [UInt8], readSize: Int
) async -> [UInt8] {
    let channel = NIOAsyncTestingChannel()
    try? await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 25)).get()
    let logger = Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() })
    var output: [UInt8] = []
    await withTaskGroup(of: Void.self) { group in
        group.addTask {
            try? await StandardIOSession.run(over: channel, configuration: configuration, delegate: delegate, logger: logger)
        }
        if let greeting = try? await channel.waitForOutboundWrite(as: ByteBuffer.self) {
            output += greeting.readableBytesView
        }
        var start = 0
        while start < stream.count {
            let end = readSize == 0 ? stream.count : min(stream.count, start + readSize)
            _ = try? await channel.writeInbound(ByteBuffer(bytes: stream[start..<end]))
            start = end
        }
        try? await channel.testingEventLoop.executeInContext {
            channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        }
        await group.waitForAll()
    }
    while let written = try? await channel.readOutbound(as: ByteBuffer.self) {
        output += written.readableBytesView
    }
    return output
}

/// Waits for `body`, run as a task, from the fuzzer's thread.
private func blocking<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
    let result = NIOLockedValueBox<T?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task {
        let value = await body()
        result.withLockedValue { $0 = value }
        done.signal()
    }
    done.wait()
    return result.withLockedValue { $0! }
}

/// Whole replies, each line `textstring` (RFC 5321 §4.2: HT and printable ASCII; UTF-8 text
/// under SMTPUTF8).
private func checkReplies(_ output: [UInt8]) {
    var parser = ReplyParser()
    parser.append(ByteBuffer(bytes: output))
    var replies = 0
    do throws(ReplyParser.ParseError) {
        while let reply = try parser.next() {
            replies += 1
            for line in reply.lines {
                require(line.unicodeScalars.allSatisfy { $0 == "\t" || ($0.value >= 0x20 && $0.value != 0x7F) },
                        "control character in reply \(reply)")
            }
        }
    } catch {
        fatalError("server output is not replies (\(error)): \(String(decoding: output, as: UTF8.self).debugDescription)")
    }
    require(replies > 0 && output.last == UInt8(ascii: "\n"), "output ends inside a reply: \(String(decoding: output, as: UTF8.self).debugDescription)")
}

/// docs/behaviour.md §7.3: CRLF line ends only, lines of at most 1000 octets with the CRLF,
/// no more than the size limit.
private func checkMessage(_ text: [UInt8], limit: Int) {
    require(text.count <= limit, "message of \(text.count) octets committed over the limit of \(limit)")
    var lineLength = 0
    for (index, byte) in text.enumerated() {
        lineLength += 1
        require(lineLength <= SMTPDefaults.textLineLimit, "line over \(SMTPDefaults.textLineLimit) octets committed")
        switch byte {
        case UInt8(ascii: "\r"):
            require(index + 1 < text.count && text[index + 1] == UInt8(ascii: "\n"), "bare CR committed at \(index)")
        case UInt8(ascii: "\n"):
            require(index > 0 && text[index - 1] == UInt8(ascii: "\r"), "bare LF committed at \(index)")
            lineLength = 0
        default:
            break
        }
    }
}

/// The account `user` with the password `pencil`; SCRAM keys of one iteration keep AUTH fast.
private struct Accounts: CredentialStore {
    static let credentials: StoredCredentials = {
        var random = SystemRandomSource()
        var credentials = StoredCredentials.create(password: "pencil", allowCRAMMD5: true, strongOnly: false, random: &random)
        credentials.scram = SCRAMKeys.derive(password: "pencil", salt: Array("salt".utf8), iterations: 1)
        return credentials
    }()

    func credentials(for username: String) async throws -> StoredCredentials? {
        username == "user" ? Self.credentials : nil
    }

    func upgrade(_ username: String, from old: StoredCredentials, to new: StoredCredentials) async throws {}
}

/// Accepts every sender and recipient but `nobody@…`, lets `user` send as anyone, and keeps
/// messages in memory; with `refuseStore` no message store opens, with `failWrites` writing
/// to one fails.
private final class Delegate: SMTPServerDelegate, SMTPSessionHandler {
    let refuseStore: Bool
    let failWrites: Bool
    /// Every message store opened, in order.
    let sinks = NIOLockedValueBox<[Sink]>([])

    init(refuseStore: Bool, failWrites: Bool) {
        self.refuseStore = refuseStore
        self.failWrites = failWrites
    }

    func session(for connection: ConnectionInfo) async throws(Reply) -> any SMTPSessionHandler { self }
    func mail(from path: ReversePath, parameters: MailParameters) async throws(Reply) {}
    func recipient(_ path: ForwardPath, parameters: RcptParameters) async throws(Reply) -> Reply {
        if case .mailbox(let mailbox) = path, mailbox.localPart == "nobody" { throw Reply.unknownUser("\(mailbox)") }
        return .recipientOK
    }
    func verify(_ request: VerifyRequest) async -> Reply { .cannotVerify }
    func checkSender(_ sender: ReversePath, account: String) async throws(Reply) {}
    func beginMessage() async throws(Reply) -> any SMTPMessageSink {
        if refuseStore { throw Reply.localError }
        let sink = Sink(failWrites: failWrites)
        sinks.withLockedValue { $0.append(sink) }
        return sink
    }
}

/// One message store, recording what happens to it.
private final class Sink: SMTPMessageSink {
    enum Phase { case open, committed, aborted }
    struct State {
        var text: [UInt8] = []
        var phase = Phase.open
    }

    struct WriteFailed: Error {}

    let failWrites: Bool
    let state = NIOLockedValueBox(State())

    init(failWrites: Bool) {
        self.failWrites = failWrites
    }

    func write(_ bytes: ByteBuffer) async throws {
        try state.withLockedValue { state in
            require(state.phase == .open, "message store written after it was \(state.phase)")
            if failWrites { throw WriteFailed() }
            state.text += bytes.readableBytesView
        }
    }

    func commit(_ summary: MessageSummary) async throws(Reply) -> QueueID {
        state.withLockedValue { state in
            require(state.phase == .open, "message store committed after it was \(state.phase)")
            state.phase = .committed
        }
        return QueueID("Q1")!
    }

    func abort() async {
        state.withLockedValue { state in
            require(state.phase == .open, "message store aborted after it was \(state.phase)")
            state.phase = .aborted
        }
    }
}

@main
enum Main {
    static func main() {
        FuzzTarget.main(testOneInput)
    }
}
