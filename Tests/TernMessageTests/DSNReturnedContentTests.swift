import NIOCore
import Testing
import TernMessage
import TernSMTPCore

/// `message` through a fresh filter in chunks of `size` octets; also whether the filter said it
/// was complete.
private func filter(_ message: String, _ returned: DSNReturn, chunkSize size: Int) -> (output: String, complete: Bool) {
    var content = DSNReturnedContent(returned)
    let bytes = Array(message.utf8)
    var output: [UInt8] = []
    var start = 0
    while start < bytes.count {
        let end = min(start + size, bytes.count)
        output += content.take(ByteBuffer(bytes: bytes[start..<end]))
        start = end
    }
    output += content.finish()
    return (String(decoding: output, as: UTF8.self), content.isComplete)
}

@Suite struct DSNReturnedContentTests {
    private static let message = "Subject: x\r\nX-Long: a\r\n b\r\n\r\nbody\r\n\r\nmore: not a header\r\n"

    @Test(arguments: [1, 2, 3, 5, 11, 12, 13, 28, 29, 30, 1_000])
    func headersEndAtTheFirstEmptyLineWhereverChunksBreak(chunkSize: Int) {
        let result = filter(Self.message, .headers, chunkSize: chunkSize)
        #expect(result.output == "Subject: x\r\nX-Long: a\r\n b\r\n")
        #expect(result.complete)
    }

    @Test(arguments: [1, 4, 1_000])
    func fullReturnsEveryByte(chunkSize: Int) {
        let result = filter(Self.message, .full, chunkSize: chunkSize)
        #expect(result.output == Self.message)
        #expect(!result.complete)
    }

    @Test func chunksAfterTheHeaderSectionAddNothing() {
        var content = DSNReturnedContent(.headers)
        #expect(content.take(ByteBuffer(string: "A: 1\r\n\r")) == Array("A: 1\r\n".utf8))
        #expect(!content.isComplete)
        #expect(content.take(ByteBuffer(string: "\nB: 2\r\n")).isEmpty)
        #expect(content.isComplete)
        #expect(content.take(ByteBuffer(string: "C: 3\r\n\r\n")).isEmpty)
        #expect(content.finish().isEmpty)
    }

    @Test(arguments: [
        ("A: 1\r\nB: 2\r\n", "A: 1\r\nB: 2\r\n", false),  // no body: all of it is header
        ("\r\nbody\r\n", "", true),  // no header fields at all
        ("A: 1\r\n\r", "A: 1\r\n\r", false),  // ends in a CR held at a line start
        ("A: 1\r\n\r\r\nB: 2\r\n\r\nbody", "A: 1\r\n\r\r\nB: 2\r\n", true),  // CR CR LF is no empty line
        ("A: 1\r\nB: x\r\r\n\r\nbody", "A: 1\r\nB: x\r\r\n", true),  // CR inside a line is content
        ("", "", false),
    ] as [(String, String, Bool)])
    func edgeCases(message: String, expected: String, complete: Bool) {
        for size in 1...max(1, message.utf8.count) {
            let result = filter(message, .headers, chunkSize: size)
            #expect(result.output == expected, "chunk size \(size)")
            #expect(result.complete == complete, "chunk size \(size)")
        }
    }
}
