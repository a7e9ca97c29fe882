import Testing
import TernSMTPCore

/// RFC 5321 §4.5.3.1 lengths, in octets as written (docs/behaviour.md §6).
@Suite struct AddressLengthTests {
    static let label = String(repeating: "d", count: 63)

    @Test func limits() {
        let local64 = String(repeating: "l", count: 64)
        #expect((try? AddressParser.mailbox(Substring(local64 + "@example.org"), utf8: false)) != nil)
        #expect(throws: AddressError.syntax) { try AddressParser.mailbox(Substring(local64 + "l@example.org"), utf8: false) }
        // A quoted local part counts with its quotes.
        let quoted = "\"" + String(repeating: "q", count: 63) + "\"@example.org"
        #expect(throws: AddressError.syntax) { try AddressParser.mailbox(Substring(quoted), utf8: false) }
        let domain259 = Array(repeating: Self.label, count: 4).joined(separator: ".") + ".org"
        #expect(throws: AddressError.syntax) { try AddressParser.mailbox(Substring("a@" + domain259), utf8: false) }
        let path256 = String(repeating: "l", count: 12) + "@" + Array(repeating: Self.label, count: 3).joined(separator: ".")
            + "." + String(repeating: "e", count: 51)
        #expect(path256.utf8.count == 256)
        #expect((try? AddressParser.pathContent(Substring(path256), utf8: false)) != nil)
        #expect(throws: AddressError.syntax) { try AddressParser.pathContent(Substring("@r.example:" + path256), utf8: false) }
    }
}
