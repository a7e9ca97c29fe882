import Foundation
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

/// Postfix's `smtp-sink` as a child process on a free loopback port, dumping each transaction
/// into its own file under `dumps`.
package final class SMTPSink {
    package let port: Int
    package let dumps: URL
    private let process: Process

    /// Starts `smtp-sink` with `options` and waits until it accepts connections.
    package init(_ options: [String] = []) async throws {
        port = try await freePort()
        dumps = FileManager.default.temporaryDirectory.appendingPathComponent("tern-sink-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dumps, withIntermediateDirectories: true)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/smtp-sink")
        process.arguments = ["-u", "root", "-d", dumps.path + "/%M."] + options + ["127.0.0.1:\(port)", "10"]
        try process.run()
        for _ in 0..<100 {
            if let probe = try? await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port).get() {
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

    /// Stops the process and removes the dumps. SIGKILL: a child of the test process may
    /// inherit a signal mask that blocks SIGTERM.
    package func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: dumps)
    }
}
