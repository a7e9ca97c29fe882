import Foundation
import Glibc
import TernTestSupport

/// A dnsmasq (/usr/sbin/dnsmasq) answering from fixed records on a loopback port in
/// 15300-15399, authoritative for `.test`: a name under it with no record is NXDOMAIN.
/// Call `stop()`, which ends it by PID, in a `defer`.
final class DnsmasqServer {
    /// Why the server did not start.
    struct StartFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// The UDP and TCP port it answers on.
    let port: Int
    private let process: Process
    private let directory: TemporaryDirectory

    /// Starts dnsmasq on `listenAddress` with `records` (dnsmasq options such as
    /// `--mx-host=...`), trying ports from a random point in 15300-15399 until one is free.
    /// Returns once dnsmasq has written its PID file, which it does after binding its sockets.
    static func start(records: [String], listenAddress: String = "127.0.0.1") throws -> DnsmasqServer {
        let directory = try TemporaryDirectory(prefix: "tern-dnsmasq")
        let first = Int.random(in: 0..<100)
        for offset in 0..<20 {
            let port = 15_300 + (first + offset) % 100
            let pidFile = directory.path + "/dnsmasq-\(port).pid"
            let logFile = directory.path + "/dnsmasq-\(port).log"
            guard FileManager.default.createFile(atPath: logFile, contents: nil),
                let log = FileHandle(forWritingAtPath: logFile)
            else { throw StartFailure(description: "cannot create \(logFile)") }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/dnsmasq")
            process.arguments = [
                "--keep-in-foreground", "--log-facility=-", "--no-resolv", "--no-hosts", "--conf-file=/dev/null",
                "--bind-interfaces", "--listen-address=\(listenAddress)", "--port=\(port)", "--pid-file=\(pidFile)",
                "--local=/test/",
            ] + records
            process.standardOutput = log
            process.standardError = log
            try process.run()
            try? log.close()
            let clock = ContinuousClock()
            let deadline = clock.now.advanced(by: .seconds(5))
            while process.isRunning, !hasPID(pidFile), clock.now < deadline {
                usleep(10_000)
            }
            if process.isRunning, hasPID(pidFile) {
                return DnsmasqServer(port: port, process: process, directory: directory)
            }
            let output = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
            stop(process)
            guard output.contains("in use") else {
                directory.remove()
                throw StartFailure(description: "dnsmasq did not start on port \(port): \(output)")
            }
        }
        directory.remove()
        throw StartFailure(description: "no free port for dnsmasq in 15300-15399")
    }

    private init(port: Int, process: Process, directory: TemporaryDirectory) {
        self.port = port
        self.process = process
        self.directory = directory
    }

    /// Ends dnsmasq (SIGTERM, SIGKILL after 5 s) and removes its files.
    func stop() {
        Self.stop(process)
        directory.remove()
    }

    private static func stop(_ process: Process) {
        let pid = process.processIdentifier
        guard process.isRunning else { return }
        kill(pid, SIGTERM)
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(5))
        while process.isRunning, clock.now < deadline { usleep(10_000) }
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
    }

    private static func hasPID(_ path: String) -> Bool {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return false }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) != nil
    }
}
