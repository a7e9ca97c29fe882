package import Foundation
import NIOCore
import NIOPosix

/// A loopback port nothing listens on (bound once by the kernel's choice, then released).
package func freePort() async throws -> Int {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .bind(host: "127.0.0.1", port: 0).get()
    let port = channel.localAddress!.port!
    try await channel.close()
    return port
}

/// Postfix's `smtp-sink` as a child process on a loopback address, dumping each transaction
/// into its own file under `dumps` and logging its conversations (`-v`) to `log`.
package final class SMTPSink {
    package let host: String
    package let port: Int
    package let dumps: URL
    private let log: URL
    private let process: Process

    /// Starts `smtp-sink` with `options` on `host` and `port` (a free one by default) and waits
    /// until it accepts connections.
    package init(_ options: [String] = [], host: String = "127.0.0.1", port: Int? = nil) async throws {
        self.host = host
        if let port { self.port = port } else { self.port = try await freePort() }
        let name = "tern-sink-\(UUID().uuidString)"
        dumps = FileManager.default.temporaryDirectory.appendingPathComponent(name)
        log = FileManager.default.temporaryDirectory.appendingPathComponent(name + ".log")
        try FileManager.default.createDirectory(at: dumps, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/smtp-sink")
        process.arguments = ["-u", "root", "-v", "-d", dumps.path + "/%M."] + options + ["\(host):\(self.port)", "10"]
        let output = try FileHandle(forWritingTo: log)
        process.standardOutput = output
        process.standardError = output
        try process.run()
        for _ in 0..<100 {
            if let probe = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: host, port: self.port).get() {
                try await probe.close()
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        stop()
        throw CocoaError(.fileNoSuchFile)
    }

    /// The dumped transactions, each as text.
    package func transactions() throws -> [String] {
        try FileManager.default.contentsOfDirectory(at: dumps, includingPropertiesForKeys: nil)
            .map { try String(contentsOf: $0, encoding: .utf8) }
    }

    /// The SMTP sessions the sink has seen (connections, whether or not they sent mail), not
    /// counting the probe that found it ready.
    package func sessions() throws -> Int {
        try String(contentsOf: log, encoding: .utf8).split(separator: "\n").filter { $0.contains(": connect (") }.count - 1
    }

    /// Stops the process and removes the dumps. SIGKILL: a child of the test process may
    /// inherit a signal mask that blocks SIGTERM.
    package func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: dumps)
        try? FileManager.default.removeItem(at: log)
    }
}
