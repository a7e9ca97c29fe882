import Foundation
import TernConfig
import TernPolicy
import TernSMTPCore
import Testing

@Suite struct ConfigLoaderTests {
    /// A fresh directory with `tern.toml` holding `source`.
    private func temporaryConfig(_ source: String) throws -> (directory: String, file: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let file = directory.appendingPathComponent("tern.toml")
        try source.write(to: file, atomically: true, encoding: .utf8)
        return (directory.path, file.path)
    }

    @Test func embeddedDefaultIsTheDocumentedFile() throws {
        let documented = """
            data_dir = "./tern-data"
            [[listen]]
            role = "mx"
            address = "127.0.0.1:2525"
            [local]
            domains = ["localhost", "<hostname>"]
            mailboxes = ["*@localhost", "*@<hostname>"]
            """.replacingOccurrences(of: "<hostname>", with: "mx.example.com")
        let loaded = try ConfigLoader.load(
            source: documented, fileName: "default.toml", baseDirectory: "/srv/mail", hostname: "mx.example.com")
        let embedded = ConfigLoader.embeddedDefault(hostname: "mx.example.com", workingDirectory: "/srv/mail")
        #expect(embedded == loaded)
    }

    @Test func embeddedDefaultValues() {
        let configuration = ConfigLoader.embeddedDefault(hostname: "mx.example.com", workingDirectory: "/srv/mail/")
        #expect(configuration.hostname == "mx.example.com")
        #expect(configuration.dataDirectory == "/srv/mail/tern-data")
        #expect(configuration.acceptMail)
        #expect(configuration.listeners == [.init(role: .mx, host: "127.0.0.1", port: 2525)])
        #expect(configuration.limits.messageSize == 35 * 1_048_576)
        #expect(configuration.limits.recipients == 100)
        #expect(configuration.limits.connections == 10_000)
        #expect(configuration.limits.connectionsPerClient == 50)
        #expect(configuration.limits.exemptNetworks.map(\.description) == ["127.0.0.0/8", "::1/128"])
        #expect(configuration.limits.idleTimeout == .seconds(300))
        #expect(configuration.limits.stressIdleTimeout == .seconds(10))
        #expect(configuration.limits.badCommands == 20)
        #expect(configuration.limits.minFreeDisk == 100 * 1_048_576)
        #expect(configuration.limits.authFailures == 3)
        #expect(configuration.tls == nil)
        #expect(configuration.auth.mechanisms == ["SCRAM-SHA-256", "PLAIN", "LOGIN", "CRAM-MD5"])
        #expect(configuration.auth.requireTLS)
        #expect(configuration.local.domains == [.name("localhost"), .name("mx.example.com")])
        #expect(configuration.local.vrfyMode == .verify)
        #expect(configuration.log == .init(level: .info, format: .text))
        let you = Mailbox(localPart: "you", domain: .name("localhost"))
        #expect(configuration.local.resolve(.mailbox(you), relayAllowed: false) == .accept([.local(you)]))
        let other = Mailbox(localPart: "x", domain: .name("other.example"))
        #expect(configuration.local.resolve(.mailbox(other), relayAllowed: false) == .relayDenied)
    }

    @Test func relativePathsFollowTheFile() throws {
        let (directory, file) = try temporaryConfig("data_dir = \"data\"\n")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let configuration = try ConfigLoader.load(path: file, hostname: "mx.example.com")
        #expect(configuration.dataDirectory == directory + "/data")
        #expect(ConfigLoader.check(path: file, hostname: "mx.example.com").isEmpty)
    }

    @Test func defaultDataDirectoryFollowsTheFile() throws {
        let (directory, file) = try temporaryConfig("")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(try ConfigLoader.load(path: file, hostname: "h.example").dataDirectory == directory + "/tern-data")
    }

    @Test func errorsNameTheFileAsGiven() throws {
        let (directory, file) = try temporaryConfig("[limits]\nrecipients = 0\n")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(ConfigLoader.check(path: file, hostname: "mx.example.com") == [
            "\(file):2: limits.recipients: must be more than zero, got 0",
        ])
    }

    @Test func missingFile() {
        #expect(ConfigLoader.check(path: "/nonexistent/tern.toml", hostname: "mx.example.com") == [
            "/nonexistent/tern.toml: no such file",
        ])
    }

    @Test func nulCharacter() {
        #expect(errorLines("hostname = \"a\"\n\n# \u{0}\n") == ["tern.toml:3: NUL character in the file"])
    }

    @Test func syntaxErrorsKeepTOMLKitsMessage() {
        let lines = errorLines("a = 1\nb = = 2\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("tern.toml:2: ") == true)
    }

    @Test func everyErrorIsReported() throws {
        do {
            _ = try load("accept_mail = 1\n[limits]\nrecipients = 0\nbad_commands = 0\n[tls]\n")
            Issue.record("loaded a bad file")
        } catch {
            #expect(error.errors.map(\.line) == [1, 3, 4, 5, 5])
            #expect(error.errors.map(\.key) == [
                "accept_mail", "limits.recipients", "limits.bad_commands", "tls.certificate", "tls.private_key",
            ])
            #expect(error.description == error.lines.joined(separator: "\n"))
        }
    }
}
