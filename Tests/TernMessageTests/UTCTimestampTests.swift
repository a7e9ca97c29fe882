import Foundation
import Testing
import TernMessage
import TernTestSupport

@Suite struct UTCTimestampTests {
    @Test func formatsISO8601AndRFC5322() {
        let timestamp = UTCTimestamp(SpoolFixtures.receivedAt)
        #expect(timestamp.iso8601 == "2026-11-29T08:09:25.123456Z")
        #expect(timestamp.rfc5322 == "Sun, 29 Nov 2026 08:09:25 +0000")
        #expect(UTCTimestamp(Date(timeIntervalSince1970: 0)).rfc5322 == "Thu, 1 Jan 1970 00:00:00 +0000")
        #expect(UTCTimestamp(Date(timeIntervalSince1970: 951_782_400)).iso8601 == "2000-02-29T00:00:00.000000Z")
        #expect(UTCTimestamp(Date(timeIntervalSince1970: -1)).iso8601 == "1969-12-31T23:59:59.000000Z")
    }

    @Test func parsesWhatItWritesToTheMicrosecond() {
        var microseconds: Int64 = -86_400_000_000
        while microseconds < 4_000_000_000_000_000 {
            let date = Date(timeIntervalSince1970: Double(microseconds) / 1_000_000)
            let text = UTCTimestamp(date).iso8601
            #expect(UTCTimestamp(iso8601: text)?.date == date, "\(text)")
            microseconds += 3_200_523_000_017
        }
    }

    @Test func roundsToTheNearestMicrosecond() {
        let date = Date(timeIntervalSince1970: 1_795_939_765.999_999_7)
        #expect(UTCTimestamp(date).iso8601 == "2026-11-29T08:09:26.000000Z")
    }

    @Test(arguments: [
        "2026-11-29T08:09:25Z", "2026-13-29T08:09:25.000000Z", "2026-02-29T08:09:25.000000Z",
        "2026-11-29 08:09:25.000000Z", "2026-11-29T24:00:00.000000Z", "2026-11-29T08:09:25.00000aZ",
    ])
    func rejectsMalformedText(_ text: String) {
        #expect(UTCTimestamp(iso8601: text) == nil)
    }
}
