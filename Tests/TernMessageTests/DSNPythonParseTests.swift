import Foundation
import NIOCore
import Testing
import TernMessage
import TernSMTPCore
import TernTestSupport

/// The `python3` on `PATH`, if any.
private let python3: String? = (ProcessInfo.processInfo.environment["PATH"] ?? "")
    .split(separator: ":").map { "\($0)/python3" }.first { FileManager.default.isExecutableFile(atPath: $0) }

/// Reads a report on stdin with Python's `email` package and prints what it understood.
private let script = """
    import email, sys
    m = email.message_from_bytes(sys.stdin.buffer.read())
    print(m.get_content_type(), m.get_param("report-type"), m.is_multipart())
    for part in m.get_payload():
        print(part.get_content_type())
    groups = m.get_payload()[1].get_payload()
    print(groups[0]["Reporting-MTA"])
    for group in groups[1:]:
        print(group["Final-Recipient"], group["Action"], group["Status"])
    print(m.get_payload()[2].get_payload(decode=True).decode().count("\\n"))
    """

@Suite struct DSNPythonParseTests {
    @Test(.enabled(if: python3 != nil, "python3 is not installed"))
    func pythonReadsTheReportAsMultipartReport() throws {
        let envelope = SpoolFixtures.envelope(recipients: [
            SpoolFixtures.localRecipient("bob"), SpoolFixtures.localRecipient("carol"),
        ])
        let outcomes = [
            DSNRecipientReport(
                recipient: envelope.recipients[0], action: .failed, status: DSNStatus("5.2.1")!,
                diagnostic: DSNDiagnostic(type: "x-tern", text: "mailbox disabled")),
            DSNRecipientReport(recipient: envelope.recipients[1], action: .delayed, status: DSNStatus("4.2.2")!),
        ]
        let builder = DSNBuilder(reportingHost: "mx.example.com")
        let report = try #require(builder.report(for: envelope, recipients: outcomes, date: Date()))
        var content = report.makeReturnedContent()
        let original = "Subject: hi\r\nFrom: alice@example.org\r\n\r\nbody\r\n"
        let bytes = report.prefix + content.take(ByteBuffer(string: original)) + content.finish() + report.suffix

        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(python3))
        process.arguments = ["-c", script]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        try input.fileHandleForWriting.write(contentsOf: bytes)
        try input.fileHandleForWriting.close()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()

        #expect(process.terminationStatus == 0)
        #expect(printed.split(separator: "\n") == [
            "multipart/report delivery-status True", "text/plain", "message/delivery-status",
            "text/rfc822-headers", "dns; mx.example.com", "rfc822; bob@example.com failed 5.2.1",
            "rfc822; carol@example.com delayed 4.2.2", "2",
        ])
    }
}
