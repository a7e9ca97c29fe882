import NIOConcurrencyHelpers
import Foundation
import Logging
import NIOCore
import NIOPosix
import TernDelivery
import TernMessage
import TernPolicy
import TernSMTPCore
import TernSpool
import TernTestSupport

/// A logger that drops everything, so test output stays readable.
let quietLogger = Logger(label: "tern.test") { _ in SwiftLogNoOpLogHandler() }

/// The host name the tests deliver as.
let testHost = "mx.example.com"

/// A body made of exactly these chunks, to control where chunk boundaries fall.
func chunkedBody(_ chunks: [String]) -> SpoolBody {
    let buffers = chunks.map { ByteBuffer(string: $0) }
    return SpoolBody { offset in
        var start = 0
        for buffer in buffers {
            if start == offset { return buffer }
            start += buffer.readableBytes
        }
        return nil
    }
}

/// The contents of a file as text.
func text(at path: String) throws -> String {
    try String(contentsOfFile: path, encoding: .utf8)
}

/// Names in a directory, sorted; empty when it does not exist.
func names(in path: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
}

/// Polls `condition` every 20 ms for up to `timeout`; returns whether it became true.
func eventually(
    timeout: Duration = .seconds(5), _ condition: () async throws -> Bool
) async throws -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while clock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

/// A spool and a mail root in one temporary directory.
struct DeliveryFixture {
    let directory: TemporaryDirectory
    let spool: FileSpool
    let courier: MaildirCourier

    init() async throws {
        directory = try TemporaryDirectory()
        spool = FileSpool(root: directory.path + "/spool", threadPool: .singleton, logger: quietLogger)
        _ = try await spool.recover()
        courier = MaildirCourier(
            mailRoot: directory.path + "/mail", hostname: testHost, threadPool: .singleton, logger: quietLogger)
    }

    var mailRoot: String { courier.mailRoot }

    /// Files in `new/` of the Maildir of `localPart@domain`.
    func delivered(_ localPart: String, _ domain: String = "example.com") -> [String] {
        names(in: "\(mailRoot)/\(domain)/\(localPart)/new")
    }

    /// Stores a message with `body` and returns its id.
    func store(_ envelope: Envelope, body: String = "Subject: test\r\n\r\nHello.\r\n") async throws -> QueueID {
        let writer = try await spool.beginMessage()
        try await writer.append(ByteBuffer(string: body))
        try await writer.commit(envelope)
        return writer.id
    }

    /// Runs `runner` while `body` runs, then cancels it and waits for it to stop.
    func running(_ runner: QueueRunner, _ body: () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await runner.run() }
            try await body()
            group.cancelAll()
            try await group.waitForAll()
        }
    }
}

/// A clock tests move by hand, and a sleep that advances it once the test allows.
final class ManualTime: Sendable {
    private let current: NIOLockedValueBox<Date>
    private let permits = NIOLockedValueBox(0)
    private let requests = NIOLockedValueBox<[Duration]>([])

    init(start: Date) {
        current = NIOLockedValueBox(start)
    }

    var now: Date { current.withLockedValue { $0 } }

    /// The sleeps asked for so far.
    var requested: [Duration] { requests.withLockedValue { $0 } }

    /// Lets `count` sleeps end.
    func allow(_ count: Int) {
        permits.withLockedValue { $0 += count }
    }

    func sleep(_ duration: Duration) async throws {
        requests.withLockedValue { $0.append(duration) }
        while !permits.withLockedValue({ permits in
            guard permits > 0 else { return false }
            permits -= 1
            return true
        }) {
            try await Task.sleep(for: .milliseconds(5))
        }
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        current.withLockedValue { $0 += seconds }
    }
}

/// A resolver answering from tables, for tests that need no DNS server: an unknown name does
/// not exist.
struct TableResolver: MXResolving {
    var exchangers: [String: MXAnswer] = [:]
    var hosts: [String: [String]] = [:]

    func mailExchangers(for domain: String) async throws(DNSFailure) -> MXAnswer {
        guard let answer = exchangers[domain] else { throw .nonexistentDomain(domain) }
        return answer
    }

    func addresses(for host: String) async throws(DNSFailure) -> [String] {
        guard let found = hosts[host] else { throw .nonexistentDomain(host) }
        return found
    }
}

/// A queue runner on `fixture` with no jitter, a short peer timeout, and `time` as its clock
/// when given; reports go to the sender's local Maildir unless `reportTargets` says otherwise;
/// `courier` and `relay` replace the fixture's Maildir and the relay to real peers.
func makeRunner(
    _ fixture: DeliveryFixture, spool: (any SpoolStore)? = nil, courier: (any Courier & Sendable)? = nil,
    relay: (any Courier & Sendable)? = nil, settings: DeliverySettings = DeliverySettings(),
    resolver: any MXResolving = TableResolver(), time: ManualTime? = nil,
    reportTargets: @escaping @Sendable (Mailbox) -> [DeliveryTarget] = { [.local($0)] }
) throws -> QueueRunner {
    QueueRunner(
        spool: spool ?? fixture.spool, local: courier ?? fixture.courier,
        relay: try relay ?? RelayCourier(
            settings: settings, resolver: resolver, hostname: testHost, tls: try RelayCourier.makeClientTLS(),
            peerTimeout: .seconds(5), logger: quietLogger),
        hostname: testHost, settings: settings, reportTargets: reportTargets, logger: quietLogger, concurrency: 8,
        now: { time?.now ?? Date() },
        sleep: { duration in
            if let time { try await time.sleep(duration) } else { try await Task.sleep(for: duration) }
        },
        jitter: { $0 })
}

/// A loopback listener that accepts connections and never says a word: a silent mail host.
final class SilentPeer: Sendable {
    let port: Int
    private let channel: any Channel

    init() async throws {
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { $0.eventLoop.makeSucceededVoidFuture() }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress!.port!
    }

    func stop() async throws {
        try await channel.close()
    }
}
