#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import TernSMTPCore
import Testing
import TernControl
import TernMessage
import TernTestSupport

private let quiet = Logger(label: "tern.test") { _ in SwiftLogNoOpLogHandler() }

private let firstID = QueueID("0SABCDEF01000001")!
private let secondID = QueueID("0SABCDEF02000002")!
private let unknownID = QueueID("0SABCDEF09999999")!
private let refused = "connect to mx.example.net: Connection refused"

/// Two messages: one with two deferred recipients, a pending and a delivered one; one held
/// bounce with one pending recipient.
private let sampleEntries = [
    QueueEntry(
        id: firstID.description, sender: "alice@example.com", size: 2_048,
        arrival: Date(timeIntervalSince1970: 1_741_528_800), held: false, attempts: 2,
        nextAttempt: Date(timeIntervalSince1970: 1_741_529_400),
        recipients: [
            QueueEntryRecipient(address: "bob@example.net", status: "deferred", reason: refused),
            QueueEntryRecipient(address: "carol@example.net", status: "deferred", reason: refused),
            QueueEntryRecipient(address: "dave@example.org", status: "pending", reason: nil),
            QueueEntryRecipient(address: "erin@example.com", status: "delivered", reason: nil),
        ]),
    QueueEntry(
        id: secondID.description, sender: "<>", size: 1_000, arrival: Date(timeIntervalSince1970: 1_741_618_800),
        held: true, attempts: 0, nextAttempt: nil,
        recipients: [QueueEntryRecipient(address: "frank@example.org", status: "pending", reason: nil)]),
]

/// A control server on a socket in a fresh directory (short: Unix socket paths hold about 107
/// octets), a fake queue behind it, and a client.
private struct ControlFixture {
    let directory: TemporaryDirectory
    let path: String
    let queue: FakeQueueControl
    let client: ControlClient

    init(queue: FakeQueueControl = FakeQueueControl(entries: sampleEntries), timeout: Duration = .seconds(5)) throws {
        directory = try TemporaryDirectory(prefix: "ctl")
        path = ControlSocket.path(dataDirectory: directory.path)
        self.queue = queue
        client = ControlClient(path: path, timeout: timeout)
    }

    /// Starts the server in a service group, waits until it answers, runs `body`, then shuts
    /// the group down gracefully and waits for the server to stop.
    func running(_ body: () async throws -> Void) async throws {
        let group = ServiceGroup(
            services: [ControlServer(path: path, control: queue, logger: quiet)], logger: quiet)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let outcome: Result<Void, any Error>
            do {
                try await waitUntilAnswering()
                try await body()
                outcome = .success(())
            } catch {
                outcome = .failure(error)
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            try outcome.get()
        }
    }

    /// Polls until the server answers, for at most five seconds: the socket file appears only
    /// once it is listening, but a stale one may be there before. Asks for a message that is
    /// not there, which every fake answers at once.
    private func waitUntilAnswering() async throws {
        for _ in 0..<500 {
            do {
                _ = try await client.show(unknownID)
                return
            } catch ControlClientError.rejected {
                return
            } catch ControlClientError.notRunning {
                try await Task.sleep(for: .milliseconds(10))
            } catch ControlClientError.timedOut {
                // A busy machine: a fixture with a short timeout asks again.
                continue
            }
        }
        throw ControlClientError.notRunning(path: path)
    }

    /// Sends `line` as it is and decodes the answer.
    func exchange(_ line: String) async throws -> ControlResponse {
        let answer = try await client.exchange(ByteBuffer(string: line))
        return try JSONDecoder().decode(ControlResponse.self, from: Data(answer.readableBytesView))
    }

    func entry(_ id: QueueID) async -> QueueEntry? {
        await queue.entries.first { $0.id == id.description }
    }
}

/// Leaves a socket file at `path` that nothing listens on, as a server that crashed does.
private func makeStaleSocket(at path: String) throws {
    #if canImport(Glibc)
    let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    #else
    let descriptor = socket(AF_UNIX, SOCK_STREAM, 0)
    #endif
    try #require(descriptor >= 0)
    defer { close(descriptor) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path.utf8) }
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    }
    try #require(bound == 0)
}

@Suite struct ControlServerTests {
    @Test func listReturnsTheQueue() async throws {
        let fixture = try ControlFixture()
        defer { fixture.directory.remove() }
        try await fixture.running {
            let entries = try await fixture.client.list()
            #expect(entries == sampleEntries)
        }
    }

    @Test func showReturnsTheEntryAndItsHeaders() async throws {
        let headers = "Received: from client.example.com\r\nSubject: hello\r\n"
        let fixture = try ControlFixture(queue: FakeQueueControl(
            entries: sampleEntries, headers: [firstID.description: headers]))
        defer { fixture.directory.remove() }
        try await fixture.running {
            let detail = try await fixture.client.show(firstID)
            #expect(detail == QueueMessageDetail(entry: sampleEntries[0], headers: headers))
        }
    }

    @Test func flushReportsHowManyWereScheduled() async throws {
        let fixture = try ControlFixture()
        defer { fixture.directory.remove() }
        try await fixture.running {
            let counts = [
                try await fixture.client.flush(domain: nil),
                try await fixture.client.flush(domain: "example.net"),
                try await fixture.client.flush(domain: "example.invalid"),
            ]
            #expect(counts == [1, 1, 0])
        }
        #expect(await fixture.queue.flushedDomains == [nil, "example.net", "example.invalid"])
    }

    @Test func holdAndReleaseChangeTheMessage() async throws {
        let fixture = try ControlFixture()
        defer { fixture.directory.remove() }
        try await fixture.running {
            try await fixture.client.hold(firstID)
            #expect(await fixture.entry(firstID)?.held == true)
            try await fixture.client.release(firstID)
            #expect(await fixture.entry(firstID)?.held == false)
        }
    }

    @Test func deleteAndBounceRemoveTheMessage() async throws {
        let fixture = try ControlFixture()
        defer { fixture.directory.remove() }
        try await fixture.running {
            try await fixture.client.delete(firstID)
            try await fixture.client.bounce(secondID)
            #expect(try await fixture.client.list().isEmpty)
        }
        #expect(await fixture.queue.deleted == [firstID.description])
        #expect(await fixture.queue.bounced == [secondID.description])
    }

    @Test(arguments: [
        ControlRequest.show(unknownID), .hold(unknownID), .release(unknownID), .delete(unknownID), .bounce(unknownID),
    ])
    func unknownIDIsRejected(_ request: ControlRequest) async throws {
        let fixture = try ControlFixture()
        defer { fixture.directory.remove() }
        try await fixture.running {
            await #expect(throws: ControlClientError.rejected("no message \(unknownID) in the queue")) {
                try await fixture.client.send(request)
            }
            let entries = try await fixture.client.list()
            #expect(entries == sampleEntries)
        }
    }

    @Test func requestsAndResponsesAreJSONLines() async throws {
        let fixture = try ControlFixture()
        defer { fixture.directory.remove() }
        try await fixture.running {
            let hold = #"{"command":"hold","id":"\#(firstID)"}"#
            let answer = try await fixture.client.exchange(ByteBuffer(string: hold))
            #expect(String(buffer: answer) == #"{"ok":true}"#)
            #expect(try await fixture.exchange(#"{"command":"flush","domain":"example.org"}"#) == .scheduled(0))
        }
        #expect(await fixture.queue.flushedDomains == ["example.org"])
        #expect(await fixture.queue.entries[0].held)
    }

    @Test func socketIsPrivateAndAlone() async throws {
        let fixture = try ControlFixture()
        defer { fixture.directory.remove() }
        try await fixture.running {
            let attributes = try FileManager.default.attributesOfItem(atPath: fixture.path)
            let names = try FileManager.default.contentsOfDirectory(atPath: fixture.directory.path)
            #expect(attributes[.type] as? FileAttributeType == .typeSocket)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            #expect(names == ["control.sock"])
        }
    }

    @Test func socketIsRemovedAtStop() async throws {
        let fixture = try ControlFixture()
        defer { fixture.directory.remove() }
        try await fixture.running {
            #expect(FileManager.default.fileExists(atPath: fixture.path))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.directory.path).isEmpty)
        await #expect(throws: ControlClientError.notRunning(path: fixture.path)) {
            try await fixture.client.list()
        }
    }

    @Test func staleSocketIsReplaced() async throws {
        let fixture = try ControlFixture()
        defer { fixture.directory.remove() }
        try makeStaleSocket(at: fixture.path)
        let attributes = try FileManager.default.attributesOfItem(atPath: fixture.path)
        #expect(attributes[.type] as? FileAttributeType == .typeSocket)
        await #expect(throws: ControlClientError.notRunning(path: fixture.path)) {
            try await fixture.client.list()
        }
        try await fixture.running {
            let entries = try await fixture.client.list()
            #expect(entries == sampleEntries)
        }
    }

    @Test func somethingElseAtThePathIsLeftAlone() async throws {
        let fixture = try ControlFixture()
        defer { fixture.directory.remove() }
        try Data("not a socket".utf8).write(to: URL(fileURLWithPath: fixture.path))
        let server = ControlServer(path: fixture.path, control: fixture.queue, logger: quiet)
        await #expect(throws: ControlServerError.notASocket(path: fixture.path)) {
            try await server.run()
        }
        #expect(try String(contentsOfFile: fixture.path, encoding: .utf8) == "not a socket")
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.directory.path) == ["control.sock"])
    }

    @Test func missingSocketMeansNotRunning() async throws {
        let client = ControlClient(path: "/nonexistent/control.sock")
        await #expect(throws: ControlClientError.notRunning(path: "/nonexistent/control.sock")) {
            try await client.list()
        }
    }

    @Test func oversizedRequestGetsAnErrorAndTheServerStaysUp() async throws {
        let fixture = try ControlFixture()
        defer { fixture.directory.remove() }
        try await fixture.running {
            let line = #"{"command":"list","x":""# + String(repeating: "x", count: 5_000) + #""}"#
            let response = try await fixture.exchange(line)
            let entries = try await fixture.client.list()
            #expect(response == .failure("request line longer than 4096 octets"))
            #expect(entries == sampleEntries)
        }
    }

    @Test(arguments: [
        ("not json", "malformed request: not JSON"),
        ("[1]", "malformed request: not a JSON object"),
        (#"{"id":"0SABCDEF01000001"}"#, #"malformed request: no "command""#),
        (#"{"command":"launch"}"#, #"malformed request: unknown command "launch""#),
        (#"{"command":"hold"}"#, #"malformed request: no "id""#),
        (#"{"command":"hold","id":"0sabcdef01000001"}"#, #"malformed request: malformed queue id "0sabcdef01000001""#),
        (#"{"command":"hold","id":42}"#, #"malformed request: "id" is not a string"#),
    ])
    func badRequestGetsAnErrorAndTheServerStaysUp(line: String, reason: String) async throws {
        let fixture = try ControlFixture()
        defer { fixture.directory.remove() }
        try await fixture.running {
            let response = try await fixture.exchange(line)
            let entries = try await fixture.client.list()
            #expect(response == .failure(reason))
            #expect(entries == sampleEntries)
        }
        #expect(await fixture.queue.entries == sampleEntries)
    }

    @Test func clientGivesUpAfterItsTimeout() async throws {
        let fixture = try ControlFixture(
            queue: FakeQueueControl(entries: sampleEntries, listDelay: .seconds(60)), timeout: .milliseconds(200))
        defer { fixture.directory.remove() }
        try await fixture.running {
            await #expect(throws: ControlClientError.timedOut(path: fixture.path, after: .milliseconds(200))) {
                try await fixture.client.list()
            }
            // The server still answers other requests (a patient client: the machine may be busy).
            try await ControlClient(path: fixture.path).hold(firstID)
        }
    }

    @Test func listPrintsTheMailqTable() async throws {
        let fixture = try ControlFixture()
        defer { fixture.directory.remove() }
        try await fixture.running {
            let entries = try await fixture.client.list()
            let table = QueueReport(timeZone: TimeZone(identifier: "UTC")!).table(entries)
            #expect(table == """
                -Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------
                0SABCDEF01000001     2048 Sun Mar  9 14:00:00  alice@example.com
                                                (connect to mx.example.net: Connection refused)
                                                         bob@example.net
                                                         carol@example.net
                                                         dave@example.org

                0SABCDEF02000002!    1000 Mon Mar 10 15:00:00  MAILER-DAEMON
                                                         frank@example.org

                -- 2 Kbytes in 2 Requests.

                """)
        }
    }

    @Test func emptyQueuePrintsMailqsLine() async throws {
        let fixture = try ControlFixture(queue: FakeQueueControl(entries: []))
        defer { fixture.directory.remove() }
        try await fixture.running {
            let entries = try await fixture.client.list()
            #expect(QueueReport().table(entries) == "Mail queue is empty\n")
        }
    }

    @Test func showPrintsTheRecipientsThenTheHeader() async throws {
        let fixture = try ControlFixture(queue: FakeQueueControl(
            entries: sampleEntries, headers: [firstID.description: "Subject: hello\r\nFrom: alice@example.com\r\n"]))
        defer { fixture.directory.remove() }
        try await fixture.running {
            let message = try await fixture.client.show(firstID)
            let detail = QueueReport(timeZone: TimeZone(identifier: "UTC")!).detail(message)
            #expect(detail == """
                Queue ID:     0SABCDEF01000001
                Sender:       alice@example.com
                Size:         2048
                Arrival:      2025-03-09T14:00:00Z
                Attempts:     2
                Next attempt: 2025-03-09T14:10:00Z
                Recipients:
                  bob@example.net deferred (connect to mx.example.net: Connection refused)
                  carol@example.net deferred (connect to mx.example.net: Connection refused)
                  dave@example.org pending
                  erin@example.com delivered

                Subject: hello
                From: alice@example.com

                """)
        }
    }

    @Test func showEscapesControlCharactersOfTheHeader() async throws {
        // A sender's header must not reach the operator's terminal as escape sequences: ESC
        // (a colour or title change), a bare CR (overwriting the line), C1's CSI.
        let hostile = "Subject: \u{1B}]0;owned\u{7}\u{1B}[31mred\r\nX-Tab:\ta\rb\u{9B}2J\r\n"
        let fixture = try ControlFixture(queue: FakeQueueControl(
            entries: sampleEntries, headers: [firstID.description: hostile]))
        defer { fixture.directory.remove() }
        try await fixture.running {
            let detail = QueueReport().detail(try await fixture.client.show(firstID))
            #expect(detail.hasSuffix("\nSubject: \\x1B]0;owned\\x07\\x1B[31mred\nX-Tab:\ta\\x0Db\\x9B2J\n"))
            #expect(!detail.unicodeScalars.contains { $0.properties.generalCategory == .control && $0 != "\n" && $0 != "\t" })
        }
    }

    @Test func jsonListingHasISO8601Dates() throws {
        let json = try QueueReport.json(sampleEntries)
        #expect(json.contains(#""arrival" : "2025-03-09T14:00:00Z""#))
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        #expect(try decoder.decode([QueueEntry].self, from: Data(json.utf8)) == sampleEntries)
    }
}
