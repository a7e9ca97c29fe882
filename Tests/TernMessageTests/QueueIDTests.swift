import Foundation
import TernSMTPCore
import TernMessage
import Testing

@Suite struct QueueIDTests {
    @Test func newIDsAreSixteenFileNameSafeCharacters() {
        let id = QueueID()
        #expect(id.description.count == 16)
        #expect(id.description.allSatisfy { $0.isASCII && ($0.isNumber || $0.isUppercase) })
        #expect(QueueID(spoolFormat: id.description) == id)
    }

    @Test func idsSortByTime() {
        let earlier = QueueID(date: Date(timeIntervalSince1970: 1_795_939_765))
        let later = QueueID(date: Date(timeIntervalSince1970: 1_795_939_765.000001))
        #expect(earlier < later)
        #expect(QueueID(date: Date(timeIntervalSince1970: 0)).description.hasPrefix("0000000000"))
    }

    @Test func idsAreUnique() {
        let date = Date()
        let ids = Set((0..<10_000).map { _ in QueueID(date: date) })
        #expect(ids.count == 10_000)
    }

    @Test(arguments: ["", "0123456789ABCDE", "0123456789ABCDEFG", "0123456789abcdef", "0123456789ABCDE/", "../../etc/passwd"])
    func invalidStringsAreRejected(_ text: String) {
        #expect(QueueID(spoolFormat: text) == nil)
    }
}
