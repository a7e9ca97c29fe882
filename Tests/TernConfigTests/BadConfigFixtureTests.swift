import Foundation
import TernConfig
import Testing

/// Every `Fixtures/bad-configs/<case>/tern.toml` must give exactly the lines of its
/// `expected-error`, which are written as `tern check-config tern.toml` prints them when run in
/// the case's directory.
@Suite struct BadConfigFixtureTests {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/bad-configs")

    static func caseNames() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: fixtures.path).filter { !$0.hasPrefix(".") }.sorted()
    }

    @Test func thereAreFixtures() throws {
        #expect(try Self.caseNames().count >= 20)
    }

    @Test(arguments: try caseNames())
    func fixture(_ name: String) throws {
        let directory = Self.fixtures.appendingPathComponent(name)
        let file = directory.appendingPathComponent("tern.toml").path
        let expected = try String(contentsOf: directory.appendingPathComponent("expected-error"), encoding: .utf8)
            .split(separator: "\n").map(String.init)
        let actual = ConfigLoader.check(path: file, hostname: "mx.example.com").map { line in
            line.hasPrefix(file + ":") ? "tern.toml" + line.dropFirst(file.count) : line
        }
        #expect(!expected.isEmpty)
        #expect(actual == expected)
    }
}
