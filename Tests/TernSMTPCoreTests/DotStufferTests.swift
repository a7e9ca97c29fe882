import NIOCore
import Testing
import TernSMTPCore

@Suite struct DotStufferTests {
    /// A seeded generator (SplitMix64), so a failing text can be found again.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Stuffs `text` cut at `cuts`, then terminates it.
    static func stuffed(_ text: [UInt8], cuts: [Int]) -> [UInt8] {
        var stuffer = DotStuffer()
        var out: [UInt8] = []
        var start = 0
        for cut in cuts + [text.count] where cut >= start {
            out += stuffer.stuff(ByteBuffer(bytes: text[start..<cut])).readableBytesView
            start = cut
        }
        out += stuffer.finish().readableBytesView
        return out
    }

    /// What Tern's server reads back: the un-stuffed text, or nil when the end never comes or
    /// octets follow it.
    static func unstuffed(_ wire: [UInt8], cuts: [Int]) -> [UInt8]? {
        var framer = SMTPFramer()
        var text: [UInt8] = []
        var ended = false
        var start = 0
        for cut in cuts + [wire.count] where cut >= start {
            framer.append(ByteBuffer(bytes: wire[start..<cut]))
            start = cut
            while !ended, let frame = framer.next(.messageData) {
                switch frame {
                case .messageData(let bytes, _): text += bytes.readableBytesView
                case .endOfData: ended = true
                default: return nil
                }
            }
        }
        return ended && framer.bufferedBytes == 0 ? text : nil
    }

    /// The text the peer stores: DATA always ends it with CRLF.
    static func expected(_ text: [UInt8]) -> [UInt8] {
        text.isEmpty || text.suffix(2) == [13, 10] ? text : text + [13, 10]
    }

    @Test(arguments: [
        ("", ".\r\n"),
        ("a\r\n", "a\r\n.\r\n"),
        ("a", "a\r\n.\r\n"),
        (".", "..\r\n.\r\n"),
        (".\r\n", "..\r\n.\r\n"),
        ("a\r\n.b\r\n..c\r\n", "a\r\n..b\r\n...c\r\n.\r\n"),
        ("a\n.b\r.c\r\n", "a\n.b\r.c\r\n.\r\n"),
        ("a\r", "a\r\r\n.\r\n"),
    ])
    func table(_ text: String, _ wire: String) {
        for cuts in [[], Array(0...text.utf8.count)] {
            #expect(Self.stuffed(Array(text.utf8), cuts: cuts) == Array(wire.utf8))
        }
    }

    @Test func chunkWithoutDotsIsNotCopied() {
        var stuffer = DotStuffer()
        let text = ByteBuffer(string: "no dots at line starts.\r\nhere either\r\n")
        #expect(stuffer.stuff(text) == text)
        #expect(stuffer.stuff(ByteBuffer(string: ".x")) == ByteBuffer(string: "..x"))
    }

    /// Stuffed text through the server's framer gives the text back, wherever either side cuts.
    @Test func roundTripThroughFramer() {
        var random = SeededGenerator(state: 0x7E44)
        let alphabet: [[UInt8]] = [[46], [46], [13, 10], [13, 10], [13], [10], [97], [98, 99], [46, 13, 10], [0xC3, 0xA9]]
        for _ in 0..<2_000 {
            var text: [UInt8] = []
            for _ in 0..<Int.random(in: 0...40, using: &random) {
                text += alphabet.randomElement(using: &random)!
            }
            let textCuts = (0..<Int.random(in: 0...6, using: &random)).map { _ in Int.random(in: 0...text.count, using: &random) }.sorted()
            let wire = Self.stuffed(text, cuts: textCuts)
            let wireCuts = (0..<Int.random(in: 0...6, using: &random)).map { _ in Int.random(in: 0...wire.count, using: &random) }.sorted()
            let back = Self.unstuffed(wire, cuts: wireCuts)
            #expect(back == Self.expected(text), "text \(text) cut at \(textCuts), wire cut at \(wireCuts)")
            if back != Self.expected(text) { return }
        }
    }

    @Test func finishStartsOver() {
        var stuffer = DotStuffer()
        _ = stuffer.stuff(ByteBuffer(string: "abc"))
        #expect(stuffer.finish() == ByteBuffer(string: "\r\n.\r\n"))
        #expect(stuffer.stuff(ByteBuffer(string: ".")) == ByteBuffer(string: ".."))
    }
}
