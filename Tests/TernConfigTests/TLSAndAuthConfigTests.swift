import Foundation
import TernConfig
import TernSMTPCore
import Testing

/// A directory holding `cert.pem` and `key.pem`, the config "file" living next to them.
private struct TLSFiles: ~Copyable {
    let directory: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tern-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for name in ["cert.pem", "key.pem"] {
            try Data("-----BEGIN PLACEHOLDER-----\n".utf8).write(to: URL(fileURLWithPath: directory + "/" + name))
        }
    }

    deinit {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func load(_ source: String) throws(ConfigErrors) -> TernConfiguration {
        try ConfigLoader.load(source: source, fileName: "tern.toml", baseDirectory: directory, hostname: testHostname)
    }

    func errorLines(_ source: String) -> [String] {
        do {
            _ = try load(source)
            return []
        } catch {
            return error.lines
        }
    }
}

@Suite struct TLSConfigTests {
    @Test func relativePathsAndDefaultVersion() throws {
        let files = try TLSFiles()
        let configuration = try files.load("[tls]\ncertificate = \"cert.pem\"\nprivate_key = \"./key.pem\"\n")
        #expect(configuration.tls == TernConfiguration.TLS(
            certificatePath: files.directory + "/cert.pem", privateKeyPath: files.directory + "/key.pem",
            minimumVersion: .v1_2))
    }

    @Test func absolutePathsAndVersion13() throws {
        let files = try TLSFiles()
        let configuration = try files.load("""
            [tls]
            certificate = "\(files.directory)/cert.pem"
            private_key = "\(files.directory)/key.pem"
            min_version = "1.3"
            """)
        #expect(configuration.tls?.certificatePath == files.directory + "/cert.pem")
        #expect(configuration.tls?.minimumVersion == .v1_3)
    }

    @Test func everyRoleWithTLS() throws {
        let files = try TLSFiles()
        let configuration = try files.load("""
            [tls]
            certificate = "cert.pem"
            private_key = "key.pem"

            [[listen]]
            role = "mx"
            address = "0.0.0.0:25"

            [[listen]]
            role = "submission"
            address = "0.0.0.0:587"

            [[listen]]
            role = "smtps"
            address = "[::]:465"
            """)
        #expect(configuration.listeners == [
            .init(role: .mx, host: "0.0.0.0", port: 25), .init(role: .submission, host: "0.0.0.0", port: 587),
            .init(role: .smtps, host: "::", port: 465),
        ])
    }

    @Test func rolesNeedTLS() {
        #expect(errorLines("[[listen]]\nrole = \"smtps\"\naddress = \"127.0.0.1:465\"\n") == [
            "tern.toml:2: listen[0].role: role \"smtps\" needs [tls]",
        ])
        #expect(errorLines("[[listen]]\naddress = \"127.0.0.1:587\"\nrole = \"submission\"\n") == [
            "tern.toml:3: listen[0].role: role \"submission\" needs [tls]",
        ])
    }

    @Test func aBrokenTLSTableIsReportedOnlyThere() throws {
        let files = try TLSFiles()
        #expect(files.errorLines("[tls]\ncertificate = \"cert.pem\"\n[[listen]]\nrole = \"smtps\"\naddress = \"127.0.0.1:465\"") == [
            "tern.toml:1: tls.private_key: missing required key",
        ])
    }

    @Test func missingFilesAreNamedAsWritten() throws {
        let files = try TLSFiles()
        #expect(files.errorLines("[tls]\ncertificate = \"certs/cert.pem\"\nprivate_key = \"/nonexistent/key.pem\"") == [
            "tern.toml:2: tls.certificate: cannot read \"certs/cert.pem\": no such file",
            "tern.toml:3: tls.private_key: cannot read \"/nonexistent/key.pem\": no such file",
        ])
    }

    @Test func emptyPath() throws {
        let files = try TLSFiles()
        #expect(files.errorLines("[tls]\ncertificate = \"\"\nprivate_key = \"key.pem\"") == [
            "tern.toml:2: tls.certificate: expected a path, got \"\"",
        ])
    }
}

@Suite struct AuthConfigTests {
    @Test func defaults() throws {
        #expect(try load("").auth == TernConfiguration.Auth(
            mechanisms: ["SCRAM-SHA-256", "PLAIN", "LOGIN", "CRAM-MD5"], requireTLS: true))
        #expect(try load("[auth]\n").auth == TernConfiguration.Auth())
    }

    @Test func mechanismsAreUpperCasedInTheirOrder() throws {
        let auth = try load("[auth]\nmechanisms = [\"plain\", \"Scram-Sha-256\"]\nrequire_tls = false\n").auth
        #expect(auth.mechanisms == ["PLAIN", "SCRAM-SHA-256"])
        #expect(!auth.requireTLS)
    }

    @Test(arguments: ["plaın", "PLAIN ", "", "SCRAM-SHA-256-PLUS", "XOAUTH2"])
    func unknownMechanisms(_ name: String) {
        #expect(errorLines("auth.mechanisms = [\"LOGIN\", \"\(name)\"]") == [
            "tern.toml:1: auth.mechanisms[1]: expected one of \"SCRAM-SHA-256\", \"PLAIN\", \"LOGIN\", \"CRAM-MD5\", got \"\(name)\"",
        ])
    }

    @Test func mechanismsMustBeAList() {
        #expect(errorLines("[auth]\nmechanisms = \"PLAIN\"") == [
            "tern.toml:2: auth.mechanisms: expected an array of mechanisms, got \"PLAIN\"",
        ])
    }

    @Test func authFailures() throws {
        #expect(try load("[limits]\nauth_failures = 7").limits.authFailures == 7)
        #expect(errorLines("limits.auth_failures = -1") == [
            "tern.toml:1: limits.auth_failures: must be more than zero, got -1",
        ])
    }
}
