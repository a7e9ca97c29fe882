import Foundation
import Testing
import TernConfig
import TernPolicy

/// `[relay] smarthost_user` and `smarthost_password_file` (docs/configuration.md `[relay]`).
@Suite struct SmarthostLoginConfigTests {
    /// A password file in a fresh directory with `contents` and `mode`; its path.
    private func passwordFile(_ contents: String, mode: Int = 0o600) throws -> String {
        let directory = NSTemporaryDirectory() + "tern-smarthost-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/password"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(contents.utf8)))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    private func relay(user: String = "tern-relay", file: String) -> String {
        "[relay]\nsmarthost = \"smtp.example.net:587\"\nsmarthost_user = \"\(user)\"\nsmarthost_password_file = \"\(file)\"\n"
    }

    @Test func theLoginIsReadFromTheFirstLine() throws {
        let file = try passwordFile("s3cret pass\nignored\n")
        defer { try? FileManager.default.removeItem(atPath: (file as NSString).deletingLastPathComponent) }
        let delivery = try load(relay(file: file)).delivery
        #expect(delivery.smarthostLogin == SmarthostLogin(username: "tern-relay", password: "s3cret pass"))
        #expect(!"\(delivery.smarthostLogin!)".contains("s3cret"))
    }

    @Test func noLoginByDefault() throws {
        #expect(try load("relay.smarthost = \"smtp.example.net:587\"").delivery.smarthostLogin == nil)
    }

    @Test func aFileOthersMayReadIsRefused() throws {
        let file = try passwordFile("secret\n", mode: 0o640)
        defer { try? FileManager.default.removeItem(atPath: (file as NSString).deletingLastPathComponent) }
        #expect(errorLines(relay(file: file)) == [
            "tern.toml:4: relay.smarthost_password_file: \"\(file)\" may be read by others (mode 640): make it 0600",
        ])
    }

    @Test func missingEmptyOrDirectoryFilesAreRefused() throws {
        let empty = try passwordFile("\nsecret\n")
        let directory = (empty as NSString).deletingLastPathComponent
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(errorLines(relay(file: empty)) == [
            "tern.toml:4: relay.smarthost_password_file: \"\(empty)\" holds no password on its first line",
        ])
        #expect(errorLines(relay(file: directory + "/absent")) == [
            "tern.toml:4: relay.smarthost_password_file: cannot read \"\(directory)/absent\": no such file",
        ])
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory)
        #expect(errorLines(relay(file: directory)) == [
            "tern.toml:4: relay.smarthost_password_file: \"\(directory)\" is not a regular file",
        ])
    }

    @Test func userAndFileGoTogetherAndNeedASmarthost() throws {
        #expect(errorLines("[relay]\nsmarthost = \"smtp.example.net:587\"\nsmarthost_user = \"u\"\n") == [
            "tern.toml:3: relay.smarthost_user: needs relay.smarthost_password_file, the file holding the password",
        ])
        #expect(errorLines("[relay]\nsmarthost = \"smtp.example.net:587\"\nsmarthost_password_file = \"/x\"\n") == [
            "tern.toml:3: relay.smarthost_password_file: needs relay.smarthost_user, the user the password belongs to",
        ])
        let file = try passwordFile("secret\n")
        defer { try? FileManager.default.removeItem(atPath: (file as NSString).deletingLastPathComponent) }
        #expect(errorLines("[relay]\nsmarthost_user = \"u\"\nsmarthost_password_file = \"\(file)\"\n") == [
            "tern.toml:2: relay.smarthost_user: needs relay.smarthost, the server to authenticate to",
        ])
        #expect(errorLines(relay(user: "a\\tb", file: file)) == [
            "tern.toml:3: relay.smarthost_user: expected a user name without control characters, got \"a\tb\"",
        ])
    }
}
