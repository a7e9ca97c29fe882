import NIOCore
import TernFuzzing
import TernSMTPCore

/// Fuzzes `SMTPFramer` in every input mode with a client's byte stream, switching modes as the
/// session would: `DATA` starts message text up to `CRLF.CRLF`, `BDAT <size> [LAST]` a chunk of
/// that many octets, `AUTH` one SASL response line (RFC 5321 §4.1.1.4, RFC 3030 §2, RFC 4954 §4).
///
/// The first octet of the input sets the size of the reads (1-256 octets); the rest is the
/// stream. Checked besides crashes:
/// - the frames do not depend on how the stream was cut into reads: the stream read in one
///   piece and in reads of the chosen size gives the same lines, text and chunks;
/// - message text un-stuffed from DATA and stuffed again by `DotStuffer`, as a relay sends it,
///   un-stuffs to the same text (RFC 5321 §4.5.2);
/// - a line has no LF; a chunk is never longer than asked for.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let readSize = Int(input.byte()) + 1
    let stream = Array(input.rest())
    let whole = frames(of: stream, readSize: max(stream.count, 1))
    let pieces = frames(of: stream, readSize: readSize)
    require(whole == pieces, "reads of \(readSize) octets frame differently: \(whole) vs \(pieces)")
    for case .message(let text, _) in whole {
        require(restuffed(text) == text, "DATA text changes when stuffed again: \(text)")
    }
    return 0
}

/// What the framer cut, with consecutive text or chunk frames joined (their cuts may differ).
enum Event: Equatable {
    case line([UInt8])
    case lineTooLong
    /// A whole DATA text with the stream octets it took, or the start of an unfinished one.
    case message([UInt8], streamOctets: Int)
    case unfinishedMessage([UInt8], streamOctets: Int)
    case chunk([UInt8])
}

/// Frames `stream` fed in reads of `readSize` octets, switching modes as a session would.
func frames(of stream: [UInt8], readSize: Int) -> [Event] {
    var framer = SMTPFramer()
    var mode = InputMode.commands
    var events: [Event] = []
    var text: [UInt8] = []
    var textOctets = 0
    var start = 0
    repeat {
        let end = min(stream.count, start + readSize)
        framer.append(ByteBuffer(bytes: stream[start..<end]))
        start = end
        while let frame = framer.next(mode) {
            switch frame {
            case .line(let line):
                let bytes = Array(line.readableBytesView)
                require(!bytes.contains(UInt8(ascii: "\n")), "line with LF: \(bytes)")
                events.append(.line(bytes))
                mode = mode == .saslResponse ? .commands : nextMode(after: bytes)
            case .lineTooLong:
                events.append(.lineTooLong)
                mode = .commands
            case .messageData(let slice, let streamOctets):
                require(mode == .messageData && streamOctets >= slice.readableBytes, "text frame \(frame) in \(mode)")
                text += slice.readableBytesView
                textOctets += streamOctets
            case .endOfData:
                events.append(.message(text, streamOctets: textOctets))
                (text, textOctets, mode) = ([], 0, .commands)
            case .chunkData(let slice):
                guard case .chunk(let remaining) = mode, slice.readableBytes <= remaining, slice.readableBytes > 0 else {
                    fatalError("chunk of \(slice.readableBytes) octets in \(mode)")
                }
                if case .chunk(let bytes) = events.last {
                    events[events.count - 1] = .chunk(bytes + slice.readableBytesView)
                } else {
                    events.append(.chunk(Array(slice.readableBytesView)))
                }
                mode = remaining == slice.readableBytes ? .commands : .chunk(remaining - slice.readableBytes)
            }
        }
    } while start < stream.count
    if mode == .messageData { events.append(.unfinishedMessage(text, streamOctets: textOctets)) }
    return events
}

/// The mode after a command line: what `ServerSession` asks for once it accepted the command.
private func nextMode(after line: [UInt8]) -> InputMode {
    let command = SplitCommandLine(String(decoding: line, as: UTF8.self))
    switch command.verb {
    case .data:
        return .messageData
    case .auth:
        return .saslResponse
    case .bdat:
        guard let word = command.argument.split(separator: " ").first,
              word.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              let size = Int(word), size > 0 else { return .commands }
        return .chunk(size)
    default:
        return .commands
    }
}

/// `text` stuffed in small pieces as the client of a relay sends it, then un-stuffed again.
private func restuffed(_ text: [UInt8]) -> [UInt8] {
    var stuffer = DotStuffer()
    var framer = SMTPFramer()
    for piece in stride(from: 0, to: text.count, by: 7) {
        framer.append(stuffer.stuff(ByteBuffer(bytes: text[piece..<min(text.count, piece + 7)])))
    }
    framer.append(stuffer.finish())
    var decoded: [UInt8] = []
    while let frame = framer.next(.messageData) {
        switch frame {
        case .messageData(let slice, _):
            decoded += slice.readableBytesView
        case .endOfData:
            require(framer.bufferedBytes == 0, "octets after the stuffed terminator")
            return decoded
        default:
            fatalError("\(frame) in DATA")
        }
    }
    fatalError("the stuffed text of \(text) has no end")
}

@main
enum Main {
    static func main() {
        FuzzTarget.main(testOneInput)
    }
}
