import ArgumentParser
import Foundation
import TernAccounts
import TernConfig

/// `tern user ...`: the SMTP AUTH accounts in `<data_dir>/accounts` (docs/configuration.md "Command line").
///
/// Every subcommand exits 0 on success and 1 on any error, after one line `tern: <reason>` on
/// standard error.
struct User: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the accounts that log in with SMTP AUTH.",
        subcommands: [Add.self, Import.self, Passwd.self, Del.self, List.self])

    /// The account store of the configuration `options` finds.
    static func store(_ options: ConfigOption) throws -> AccountStore {
        AccountStore(dataDirectory: try options.load().dataDirectory)
    }

    /// Runs `body`, turning any error but an exit code into `tern: <reason>` and exit code 1.
    static func reportingFailure(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let exit as ExitCode {
            throw exit
        } catch {
            FileHandle.standardError.write(Data("tern: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
