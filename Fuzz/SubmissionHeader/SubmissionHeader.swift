import TernFuzzing
import TernMessage

/// Fuzzes what `tern sendmail` does to the text a local program writes: `SubmissionNormalizer`
/// (line ends, the lone `.`), `SubmissionHeaderSection` (Bcc removal, `-t` recipients, added
/// fields) and `HeaderAddressList` (RFC 5322 §3.4 address lists), chunk by chunk as
/// `LocalSubmission` reads standard input.
///
/// The first octet chooses `-i` (bit 0) and `-t` (bit 1), the second the size of the reads;
/// the rest is the program's output. Checked besides crashes:
/// - the stored text and the recipients do not depend on how the input was cut into reads;
/// - every stored line ends in CRLF;
/// - no `Bcc:` or `Resent-Bcc:` field is left in the stored header section;
/// - each extracted recipient, read again as an address list, is itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let (flags, readSize) = (input.byte(), Int(input.byte()) + 1)
    let text = Array(input.rest())
    let whole = submit(text, flags: flags, readSize: max(text.count, 1))
    let pieces = submit(text, flags: flags, readSize: readSize)
    require(whole == pieces, "reads of \(readSize) octets store differently: \(whole) vs \(pieces)")
    guard whole.failure == nil else { return 0 }
    checkLineEnds(whole.stored)
    checkNoBcc(whole.stored)
    for recipient in whole.recipients {
        let again = try? HeaderAddressList.addresses(in: recipient)
        require(again == [recipient], "recipient \(recipient.debugDescription) reads again as \(again as Any)")
    }
    return 0
}

/// What `LocalSubmission.deliver` makes of the input: the text stored and the `-t`
/// recipients, or why nothing is stored.
private struct Submission: Equatable {
    var stored: [UInt8] = []
    var recipients: [String] = []
    var failure: SubmissionHeaderSection.Failure?
}

private func submit(_ text: [UInt8], flags: UInt8, readSize: Int) -> Submission {
    var normalizer = SubmissionNormalizer(ignoreDots: flags & 1 != 0)
    var header = SubmissionHeaderSection(
        extractRecipients: flags & 2 != 0,
        addedFields: [("From", "user@host.example"), ("Date", "Thu, 1 Jan 2026 00:00:00 +0000")])
    var stored: [UInt8] = []
    do throws(SubmissionHeaderSection.Failure) {
        var start = 0
        while start < text.count && !normalizer.ended {
            let end = min(text.count, start + readSize)
            stored += try header.process(normalizer.normalize(Array(text[start..<end])))
            start = end
        }
        stored += try header.process(normalizer.finish())
        stored += try header.finish()
    } catch {
        return Submission(failure: error)
    }
    return Submission(stored: stored, recipients: header.recipients)
}

private func checkLineEnds(_ stored: [UInt8]) {
    for (index, byte) in stored.enumerated() where byte == UInt8(ascii: "\n") {
        require(index > 0 && stored[index - 1] == UInt8(ascii: "\r"), "bare LF stored at \(index)")
    }
    require(stored.isEmpty || stored.suffix(2).elementsEqual("\r\n".utf8), "stored text does not end in CRLF")
}

/// The header section ends at the first empty line (RFC 5322 §2.1).
private func checkNoBcc(_ stored: [UInt8]) {
    var lineStart = 0
    while lineStart < stored.count, let lf = stored[lineStart...].firstIndex(of: UInt8(ascii: "\n")) {
        let line = stored[lineStart..<lf - 1]
        if line.isEmpty { return }
        let name = line.prefix { (33...126).contains($0) && $0 != UInt8(ascii: ":") }
        let rest = line[name.endIndex...].drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        if rest.first == UInt8(ascii: ":") {
            let field = String(decoding: name, as: UTF8.self).lowercased()
            require(field != "bcc" && field != "resent-bcc", "\(field): field stored: \(String(decoding: line, as: UTF8.self))")
        }
        lineStart = lf + 1
    }
}

@main
enum Main {
    static func main() {
        FuzzTarget.main(testOneInput)
    }
}
