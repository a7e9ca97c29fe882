import Foundation
import TOMLKit

/// Reads `tern.toml` into a ``TernConfiguration``, or provides the embedded default.
///
/// Every error is reported, not only the first: unknown keys (keys of features this version
/// does not have included), wrong types, bad values and contradictions, each as
/// `<file>:<line>: <key>: <message>`.
package enum ConfigLoader {
    /// Who reads the file, and so which files it names must be readable now.
    package enum Reader: Sendable {
        /// `tern serve`, `tern check-config` and the other commands: the TLS certificate and key
        /// and the smarthost password file must be readable.
        case server
        /// `tern sendmail`, run by any local user: it needs the data folder and the host name,
        /// never the server's secrets, so their files are not opened (the smarthost login is
        /// left out) and may be unreadable to the user.
        case submission
    }

    /// Reads and checks the file at `path`.
    ///
    /// - Parameters:
    ///   - path: the config file; relative paths in it are resolved against its directory.
    ///   - hostname: the machine's host name, used when the file sets no `hostname`.
    ///   - reader: who reads it.
    /// - Throws: every problem found, file names as `path` gives them.
    package static func load(path: String, hostname: String, for reader: Reader = .server) throws(ConfigErrors)
        -> TernConfiguration
    {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot read the file" : "no such file"
            throw ConfigErrors([ConfigError(file: path, line: nil, key: nil, message: reason)])
        }
        guard let source = String(data: data, encoding: .utf8) else {
            throw ConfigErrors([ConfigError(file: path, line: nil, key: nil, message: "not valid UTF-8")])
        }
        let file = PathResolver.absolute(path, relativeTo: FileManager.default.currentDirectoryPath)
        return try load(
            source: source, fileName: path, baseDirectory: PathResolver.directory(of: file), hostname: hostname,
            for: reader)
    }

    /// Checks TOML text that was read elsewhere.
    ///
    /// - Parameters:
    ///   - source: the TOML text.
    ///   - fileName: the name errors give.
    ///   - baseDirectory: the directory relative paths are resolved against; itself resolved
    ///     against the working directory when relative.
    ///   - hostname: the machine's host name, used when the text sets no `hostname`.
    ///   - reader: who reads it.
    package static func load(
        source: String, fileName: String, baseDirectory: String, hostname: String, for reader: Reader = .server
    ) throws(ConfigErrors) -> TernConfiguration {
        if let nul = source.utf8.firstIndex(of: 0) {
            let line = source.utf8[..<nul].count(where: { $0 == UInt8(ascii: "\n") }) + 1
            throw ConfigErrors([ConfigError(file: fileName, line: line, key: nil, message: "NUL character in the file")])
        }
        let document: TOMLTable
        do {
            document = try TOMLTable(string: source)
        } catch let error as TOMLParseError {
            let line = error.source.begin.line
            throw ConfigErrors([ConfigError(file: fileName, line: line, key: nil, message: error.description)])
        } catch {
            throw ConfigErrors([ConfigError(file: fileName, line: nil, key: nil, message: "\(error)")])
        }
        var decoder = ConfigDecoder(
            fileName: fileName,
            lineIndex: SourceLineIndex(source: source),
            baseDirectory: PathResolver.absolute(baseDirectory, relativeTo: FileManager.default.currentDirectoryPath),
            machineHostname: hostname,
            reader: reader
        )
        guard let configuration = decoder.decode(TOMLTableNode(document)) else {
            throw ConfigErrors(decoder.sortedErrors)
        }
        return configuration
    }

    /// The configuration `tern serve` runs on without a file (docs/configuration.md, "The embedded default"):
    /// one `mx` listener on `127.0.0.1:2525`, data in `<workingDirectory>/tern-data`, mail for
    /// every local part of `localhost` and `hostname` delivered locally.
    ///
    /// - Parameters:
    ///   - hostname: the machine's host name.
    ///   - workingDirectory: the absolute working directory of the process.
    package static func embeddedDefault(hostname: String, workingDirectory: String) -> TernConfiguration {
        TernConfiguration(
            hostname: hostname, dataDirectory: PathResolver.absolute("./tern-data", relativeTo: workingDirectory))
    }

    /// The errors `tern check-config` prints for the file at `path`, one per line; empty when
    /// the file is good.
    package static func check(path: String, hostname: String) -> [String] {
        do {
            _ = try load(path: path, hostname: hostname)
            return []
        } catch {
            return error.lines
        }
    }
}
