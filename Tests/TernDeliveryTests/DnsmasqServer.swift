import Foundation
import Glibc
import TernTestSupport

/// A dnsmasq (/usr/sbin/dnsmasq) answering from fixed records on a loopback port in
/// 15300-15399, authoritative for `.test`: a name under it with no record is NXDOMAIN.
/// Call `stop()`, which ends it by PID, in a `defer`.
///
/// It is started with `posix_spawn`, not Foundation's `Process`: the child must start with no
/// signal blocked (test threads block SIGTERM, and a spawned child inherits the mask), and
/// `Process` takes dnsmasq's closing of inherited descriptors for its exit, then blocks in
/// `waitpid` until it really exits.
final class DnsmasqServer {
    /// Why the server did not start.
    struct StartFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// The UDP and TCP port it answers on.
    let port: Int
    private let pid: pid_t
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
            let arguments = [
                "/usr/sbin/dnsmasq", "--keep-in-foreground", "--log-facility=-", "--no-resolv", "--no-hosts",
                "--conf-file=/dev/null", "--bind-interfaces", "--listen-address=\(listenAddress)", "--port=\(port)",
                "--pid-file=\(pidFile)", "--local=/test/",
            ] + records
            let pid: pid_t
            do {
                pid = try spawn(arguments, output: logFile)
            } catch {
                directory.remove()
                throw error
            }
            let clock = ContinuousClock()
            let deadline = clock.now.advanced(by: .seconds(5))
            var exited = false
            while !hasPID(pidFile), clock.now < deadline {
                var status: Int32 = 0
                if waitpid(pid, &status, WNOHANG) == pid {
                    exited = true
                    break
                }
                usleep(10_000)
            }
            if !exited, hasPID(pidFile) {
                return DnsmasqServer(port: port, pid: pid, directory: directory)
            }
            if !exited { stop(pid) }
            let output = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
            guard output.contains("in use") else {
                directory.remove()
                throw StartFailure(description: "dnsmasq did not start on port \(port): \(output)")
            }
        }
        directory.remove()
        throw StartFailure(description: "no free port for dnsmasq in 15300-15399")
    }

    private init(port: Int, pid: pid_t, directory: TemporaryDirectory) {
        self.port = port
        self.pid = pid
        self.directory = directory
    }

    /// Ends dnsmasq (SIGTERM, SIGKILL after 5 s), reaps it and removes its files.
    func stop() {
        Self.stop(pid)
        directory.remove()
    }

    private static func stop(_ pid: pid_t) {
        kill(pid, SIGTERM)
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(5))
        var status: Int32 = 0
        while clock.now < deadline {
            if waitpid(pid, &status, WNOHANG) != 0 { return }
            usleep(10_000)
        }
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
    }

    /// Runs `arguments` with stdout and stderr appended to `output`, no signal blocked and
    /// SIGTERM, SIGINT and SIGHUP at their default action.
    private static func spawn(_ arguments: [String], output: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var argv = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, arguments[0], &actions, &attributes, &argv, environ)
        guard result == 0 else {
            throw StartFailure(description: "cannot run \(arguments[0]): \(String(cString: strerror(result)))")
        }
        return pid
    }

    private static func hasPID(_ path: String) -> Bool {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return false }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) != nil
    }
}
