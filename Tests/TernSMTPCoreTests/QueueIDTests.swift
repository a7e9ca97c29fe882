import TernSMTPCore
import Testing

/// Queue ids are what a 250 reply can carry; peer addresses are typed.
@Suite struct QueueIDTests {
    @Test(arguments: ["1", "0SABCDEF01000001", "<id@host>", String(repeating: "x", count: 64)])
    func printableTokensAreIDs(_ text: String) {
        #expect(QueueID(text)?.description == text)
    }

    @Test(arguments: ["", "a b", "line\r\nbreak", "tab\t", "é", String(repeating: "x", count: 65)])
    func otherTextIsNoID(_ text: String) {
        #expect(QueueID(text) == nil)
    }

    @Test func randomIDsAreSixteenLettersAndDigitsAndDiffer() {
        let ids = (0..<1_000).map { _ in QueueID.random() }
        #expect(Set(ids).count == ids.count)
        #expect(ids.allSatisfy { $0.description.utf8.count == 16 && $0.description.allSatisfy { $0.isUppercase || $0.isNumber } })
        #expect(Reply.queued(ids[0]).lines == ["Requested mail action okay, completed: queued as \(ids[0])"])
    }

    @Test func loopbackAddresses() {
        #expect(["127.0.0.1", "127.255.0.9", "::1", "::ffff:127.0.0.1"].allSatisfy { IPAddress($0)?.isLoopback == true })
        #expect(["128.0.0.1", "::2", "::", "::ffff:10.0.0.1"].allSatisfy { IPAddress($0)?.isLoopback == false })
    }
}
