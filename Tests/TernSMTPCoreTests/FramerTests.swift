import NIOCore
import Testing
import TernSMTPCore

@Suite struct FramerTests {
    /// Runs the framer over `input` in data mode, one read or one octet per read, and returns
    /// the text before the end and what is left after it.
    static func data(_ input: [UInt8], dripping: Bool) -> (text: [UInt8], ended: Bool) {
        var framer = SMTPFramer()
        var text: [UInt8] = []
        let pieces = dripping ? input.map { [$0] } : [input]
        for piece in pieces {
            framer.append(ByteBuffer(bytes: piece))
            while let frame = framer.next(.messageData) {
                switch frame {
                case .messageData(let bytes, _): text += bytes.readableBytesView
                case .endOfData: return (text, true)
                default: Issue.record("unexpected \(frame)")
                }
            }
        }
        return (text, false)
    }

    @Test(arguments: [false, true])
    func unstuffsAndEnds(dripping: Bool) {
        let input = Array("Subject: x\r\n\r\n..leading dot\r\n.\r\nnext".utf8)
        let (text, ended) = Self.data(input, dripping: dripping)
        #expect(ended)
        #expect(text == Array("Subject: x\r\n\r\n.leading dot\r\n".utf8))
    }

    @Test(arguments: [false, true])
    func endRightAfterDataCommand(dripping: Bool) {
        let (text, ended) = Self.data(Array(".\r\n".utf8), dripping: dripping)
        #expect(ended && text.isEmpty)
    }

    static let fakeTerminators = ["\n.\n", "\r.\r", "\r\n.\n", "\n.\r\n", "\r.\r\n", "\r\n.\r"]

    /// docs/behaviour.md §7.3: a fake terminator is content; the data goes on to the real CRLF.CRLF.
    @Test(arguments: fakeTerminators, [false, true])
    func fakeTerminatorsAreContent(_ fake: String, dripping: Bool) {
        let input = Array("a\(fake)MAIL FROM:<x@y>\r\nb\r\n.\r\n".utf8)
        let (text, ended) = Self.data(input, dripping: dripping)
        #expect(ended)
        #expect(String(decoding: text, as: UTF8.self).contains("MAIL FROM:<x@y>"))
        #expect(String(decoding: text, as: UTF8.self).hasSuffix("b\r\n"))
    }

    @Test func commandLines() {
        var framer = SMTPFramer()
        framer.append(ByteBuffer(string: "EHLO a\r\nNOOP\nQU"))
        #expect(framer.next(.commands) == .line(ByteBuffer(string: "EHLO a")))
        #expect(framer.next(.commands) == .line(ByteBuffer(string: "NOOP")))
        #expect(framer.next(.commands) == nil)
        framer.append(ByteBuffer(string: "IT\r\n"))
        #expect(framer.next(.commands) == .line(ByteBuffer(string: "QUIT")))
    }

    @Test func lineLimitsByVerb() {
        var framer = SMTPFramer()
        let long = String(repeating: "x", count: 600)
        framer.append(ByteBuffer(string: "NOOP \(long)\r\nMAIL FROM:<a@b> ENVID=\(long)\r\n"))
        #expect(framer.next(.commands) == .lineTooLong)
        if case .line = framer.next(.commands) {} else { Issue.record("a 2048-octet MAIL line is allowed") }
    }

    @Test func endlessLineIsNeverBuffered() {
        var framer = SMTPFramer()
        var frames: [Frame] = []
        for _ in 0..<100 {
            framer.append(ByteBuffer(repeating: UInt8(ascii: "a"), count: 4096))
            while let frame = framer.next(.commands) { frames.append(frame) }
            #expect(framer.bufferedBytes <= SMTPDefaults.authLineLimit)
        }
        framer.append(ByteBuffer(string: "\r\nNOOP\r\n"))
        while let frame = framer.next(.commands) { frames.append(frame) }
        #expect(frames == [.lineTooLong, .line(ByteBuffer(string: "NOOP"))])
    }

    @Test func chunks() {
        var framer = SMTPFramer()
        framer.append(ByteBuffer(string: "0123456789NOOP\r\n"))
        #expect(framer.next(.chunk(4)) == .chunkData(ByteBuffer(string: "0123")))
        #expect(framer.next(.chunk(6)) == .chunkData(ByteBuffer(string: "456789")))
        #expect(framer.next(.commands) == .line(ByteBuffer(string: "NOOP")))
    }
}
