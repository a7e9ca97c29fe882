import ArgumentParser
import Foundation
import TernConfig
import TernSubmission

/// `tern sendmail [-t] [-f SENDER] [-i] [RCPT...]`, also run when `tern` is invoked as `sendmail`
/// (docs/configuration.md "Command line"). Exits with `sysexits.h` statuses after one line
/// `sendmail: <reason>` on standard error; silent on success, as sendmail is.
struct SendmailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sendmail",
        abstract: "Read a message on standard input and queue it, as /usr/sbin/sendmail does.",
        discussion: """
            Works while the server is down: the message waits in <data_dir>/maildrop/ until the \
            server picks it up. Options as sendmail's: -t (recipients from To:, Cc:, Bcc:), \
            -f/-r SENDER, -F NAME, -i/-oi, -bm (default), -bs (SMTP on standard input and \
            output), -C FILE or --config FILE; other -o options and -v are ignored. Exit \
            statuses: 0, 64 usage, 65 data error, 73 cannot create, 74 I/O error, 75 try \
            again later, 78 configuration error.
            """)

    /// The program name that makes `tern` act as `tern sendmail`.
    static let invocationName = "sendmail"

    @Argument(parsing: .captureForPassthrough, help: "sendmail's options, then the recipients.")
    var arguments: [String] = []

    func run() async throws {
        let status = await Self.submit(arguments)
        if status != 0 { throw ExitCode(status) }
    }

    /// The arguments for the root command: those after the program name, behind `sendmail`
    /// when the program was invoked under that name (a `sendmail` symlink to `tern`).
    static func rootArguments(_ commandLine: [String]) -> [String] {
        let arguments = Array(commandLine.dropFirst())
        guard let program = commandLine.first, program.split(separator: "/").last.map(String.init) == invocationName
        else { return arguments }
        return [invocationName] + arguments
    }

    /// Runs sendmail with `arguments`; returns the exit status.
    private static func submit(_ arguments: [String]) async -> Int32 {
        do {
            let options = try SendmailOptions(parsing: arguments)
            try await Sendmail.run(options, configuration: try loadConfiguration(options.configPath))
            return 0
        } catch let failure as SendmailFailure {
            report(failure.message)
            return failure.status.rawValue
        } catch let usage as SendmailOptions.UsageError {
            report("\(usage)")
            return SendmailFailure.Status.usage.rawValue
        } catch {
            report("\(error)")
            return SendmailFailure.Status.temporaryFailure.rawValue
        }
    }

    /// `-C`/`--config`, else `TERN_CONFIG`, else the embedded default; files only the server
    /// reads (TLS key, smarthost password) need not be readable by the user.
    private static func loadConfiguration(_ path: String?) throws(SendmailFailure) -> TernConfiguration {
        do {
            return try ConfigOption.configuration(at: path, for: .submission)
        } catch {
            throw SendmailFailure(.configuration, error.description)
        }
    }

    private static func report(_ message: String) {
        FileHandle.standardError.write(Data("\(invocationName): \(message)\n".utf8))
    }
}
