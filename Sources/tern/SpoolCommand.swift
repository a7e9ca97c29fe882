import ArgumentParser
import Foundation
import TernDaemon

/// `tern spool`: the queue's storage (docs/configuration.md "Command line").
struct SpoolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spool", abstract: "Look after the queue's storage.", subcommands: [Migrate.self])

    /// `tern spool migrate`: creates or upgrades the PostgreSQL queue's tables.
    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create or upgrade the PostgreSQL queue's schema (nothing to do for the file spool).")

        @OptionGroup var options: ConfigOption

        func run() async throws {
            let configuration = try options.load()
            do {
                print(try await Daemon.migrateSpool(configuration))
            } catch {
                FileHandle.standardError.write(Data("tern spool migrate: \(String(reflecting: error))\n".utf8))
                throw ExitCode.failure
            }
        }
    }
}
