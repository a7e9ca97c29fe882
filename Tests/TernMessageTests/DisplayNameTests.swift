import Foundation
import Testing
import TernMessage

@Suite("Display names")
struct DisplayNameTests {
    @Test func atomsStayAsTheyAre() {
        #expect(DisplayName.phrase("Jane Q Doe") == "Jane Q Doe")
    }

    @Test func otherASCIIIsQuotedWithEscapes() {
        #expect(DisplayName.phrase(#"Doe, "JJ" \ Jane"#) == #""Doe, \"JJ\" \\ Jane""#)
    }

    @Test func nonASCIIBecomesEncodedWordsOfAtMost75Characters() {
        let name = String(repeating: "Jürgen Müller ", count: 6)
        let words = DisplayName.phrase(name).split(separator: " ")
        #expect(words.count > 1)
        #expect(words.allSatisfy { $0.hasPrefix("=?UTF-8?B?") && $0.hasSuffix("?=") && $0.count <= 75 })
        let decoded = words.map { word -> [UInt8] in
            let base64 = word.dropFirst("=?UTF-8?B?".count).dropLast(2)
            return Array(Data(base64Encoded: String(base64))!)
        }
        #expect(String(decoding: decoded.joined(), as: UTF8.self) == name)
    }
}
