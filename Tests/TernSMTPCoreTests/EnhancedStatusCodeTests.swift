import NIOCore
import TernSMTPCore
import Testing

/// Enhanced status codes are open: the catalogue's constants and any other registered or
/// private code share one type, which keeps the `class.subject.detail` form.
@Suite struct EnhancedStatusCodeTests {
    @Test func constantsAndNumbersAreTheSameCodes() {
        #expect(EnhancedStatusCode.permanent(.notAuthorized) == EnhancedStatusCode(5, 7, 1))
        #expect(EnhancedStatusCode.persistentTransient(.mailboxDisabled) == EnhancedStatusCode(transient: 2, 1))
        #expect(EnhancedStatusCode.success(.destinationValid) == EnhancedStatusCode(success: 1, 5))
        #expect(Reply.relayDenied("x@other.example").enhanced?.description == "5.7.1")
    }

    @Test func anOwnersCodeKeepsTheWireForm() {
        let reply = Reply(550, EnhancedStatusCode(permanent: 7, 26), "Multiple authentication checks failed")
        var wire = ByteBuffer()
        reply.write(into: &wire)
        #expect(String(buffer: wire) == "550 5.7.26 Multiple authentication checks failed\r\n")
        #expect(EnhancedStatusCode(permanent: 999, 999).description == "5.999.999")
    }

    @Test(arguments: ["5.7.26", "2.0.0", "4.999.1"]) func textRoundTrips(_ text: String) {
        #expect(EnhancedStatusCode(text)?.description == text)
    }

    @Test(arguments: ["", "5.7", "3.0.0", "5.1000.1", "5.1.", "5..1", "55.1.1", "5.1.1.1", "5.a.1"])
    func malformedTextIsNoCode(_ text: String) {
        #expect(EnhancedStatusCode(text) == nil)
    }
}
