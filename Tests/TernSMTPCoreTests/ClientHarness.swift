import NIOCore
import TernSMTPCore
import TernTestSupport

/// Plays the transport for a `ClientSession` in memory: peer text goes through a `ReplyParser`
/// into the session, and its actions come back as the octets it would write.
struct ClientHarness {
    var client: ClientSession
    /// Message texts by id, as stored (CRLF line endings).
    var bodies: [String: [UInt8]] = [:]
    /// Octets per write when streaming a body, so that stuffing meets odd chunk edges.
    var bodyChunkSize = 5
    /// EHLO keywords dropped from the peer's replies, to play a peer without them.
    var hiddenKeywords: Set<String> = []
    private var parser = ReplyParser()
    /// Every `.send` as text, one entry per write (a pipelined group is one entry).
    private(set) var writes: [String] = []
    private(set) var results: [MessageResult] = []
    private(set) var closed = false
    private(set) var tlsStarts = 0

    init(_ configuration: ClientSessionConfiguration) {
        client = ClientSession(configuration: configuration)
    }

    /// Hands over a message with its text; returns what the client writes at once.
    mutating func send(_ message: OutboundMessage, text: String) -> [UInt8] {
        bodies[message.id] = Array(text.utf8)
        return perform(client.send(message))
    }

    mutating func quit() -> [UInt8] {
        perform(client.quit())
    }

    /// Feeds the peer's text; returns what the client writes in answer.
    mutating func deliver(_ text: String) -> [UInt8] {
        let lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)
        let kept = lines.filter { line in
            !(line.hasPrefix("250-") && hiddenKeywords.contains(line.dropFirst(4).prefix { $0 != " " }.uppercased()))
        }
        parser.append(ByteBuffer(string: kept.joined(separator: "\r\n")))
        var out: [UInt8] = []
        do throws(ReplyParser.ParseError) {
            while let reply = try parser.next() { out += perform(client.received(reply)) }
        } catch {
            out += perform(client.failed(.malformedReply))
        }
        return out
    }

    /// Runs the client against Tern's own server until neither has more to say.
    mutating func pump(_ server: inout SessionDriver, start: [UInt8] = []) {
        server.feed(start)
        var text = server.take()
        while !text.isEmpty {
            server.feed(deliver(text))
            text = server.take()
        }
    }

    private mutating func perform(_ actions: [ClientAction]) -> [UInt8] {
        var out: [UInt8] = []
        for action in actions {
            switch action {
            case .send(let buffer):
                writes.append(String(buffer: buffer))
                out += buffer.readableBytesView
            case .startTLS:
                tlsStarts += 1
                out += perform(client.tlsStarted())
            case .sendBody(let id, let useBDAT, let resumeAt):
                let body = bodies[id]!
                if useBDAT {
                    out += body
                } else {
                    var stuffer = DotStuffer()
                    var stream: [UInt8] = []
                    var start = 0
                    while start < body.count {
                        let end = min(start + bodyChunkSize, body.count)
                        stream += stuffer.stuff(ByteBuffer(bytes: body[start..<end])).readableBytesView
                        start = end
                    }
                    stream += stuffer.finish().readableBytesView
                    out += stream.dropFirst(resumeAt)
                }
                writes.append(useBDAT ? "<chunk>" : "<text>")
            case .messageResult(let result):
                results.append(result)
            case .close:
                closed = true
            }
        }
        return out
    }
}
