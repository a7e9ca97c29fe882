import ArgumentParser
import Foundation
import TernBuildInfo
import TernConfig
import TernDaemon
import TernSMTPCore

/// The `tern` command (docs/configuration.md "Command line").
@main
struct Tern: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tern, an SMTP mail server.",
        version: TernBuild.description,
        subcommands: [Serve.self, CheckConfig.self, User.self, QueueCommand.self, SendmailCommand.self, SpoolCommand.self])

    /// Invoked as `sendmail` (through a symlink), `tern` is `tern sendmail`.
    static func main() async {
        await main(SendmailCommand.rootArguments(CommandLine.arguments))
    }
}

/// Where the configuration comes from: `--config`, else `TERN_CONFIG`, else the embedded default.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "The configuration file (default: $TERN_CONFIG, else the embedded default).")
    var config: String?

    func load() throws -> TernConfiguration {
        do {
            return try Self.configuration(at: config)
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode.failure
        }
    }

    /// The configuration at `path`, else at `TERN_CONFIG`, else the embedded default, as
    /// `reader` needs it.
    static func configuration(at path: String?, for reader: ConfigLoader.Reader = .server) throws(ConfigErrors)
        -> TernConfiguration
    {
        let hostname = ProcessInfo.processInfo.hostName
        guard let path = path ?? ProcessInfo.processInfo.environment["TERN_CONFIG"] else {
            return ConfigLoader.embeddedDefault(hostname: hostname, workingDirectory: FileManager.default.currentDirectoryPath)
        }
        return try ConfigLoader.load(path: path, hostname: hostname, for: reader)
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server in the foreground.")

    @OptionGroup var options: ConfigOption

    func run() async throws {
        try await Daemon.run(try options.load())
    }
}

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config", abstract: "Check a configuration file; exit 1 when it has errors.")

    @Argument(help: "The configuration file.")
    var file: String

    func run() throws {
        let errors = ConfigLoader.check(path: file, hostname: ProcessInfo.processInfo.hostName)
        guard errors.isEmpty else {
            FileHandle.standardError.write(Data((errors.joined(separator: "\n") + "\n").utf8))
            throw ExitCode.failure
        }
        print("\(file): OK")
    }
}
