import ArgumentParser
import Foundation
import TernConfig
import TernControl

/// `tern queue ...`: the queue of the running server, through its control socket
/// `<data_dir>/control.sock` (docs/configuration.md "Command line").
///
/// Exit codes: 0 done; 1 an unknown message or any other error, after one line
/// `tern: <reason>` on standard error; 64 (EX_USAGE) a malformed queue id; 69 (EX_UNAVAILABLE)
/// the server is not running.
struct QueueCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue", abstract: "Show and manage the running server's queue.",
        subcommands: [List.self, Show.self, Flush.self, Hold.self, Release.self, Delete.self, Bounce.self])

    /// EX_UNAVAILABLE of sysexits(3): the server is not running.
    static let serverUnavailable = ExitCode(69)

    /// Runs `body` with a client of the control socket of the configuration `options` finds,
    /// turning its errors into `tern: <reason>` and the exit codes above.
    static func withClient(_ options: ConfigOption, _ body: (ControlClient) async throws -> Void) async throws {
        let client = ControlClient(path: ControlSocket.path(dataDirectory: try options.load().dataDirectory))
        do {
            try await body(client)
        } catch let exit as ExitCode {
            throw exit
        } catch {
            FileHandle.standardError.write(Data("tern: \(error)\n".utf8))
            if case ControlClientError.notRunning = error { throw serverUnavailable }
            throw ExitCode.failure
        }
    }
}
