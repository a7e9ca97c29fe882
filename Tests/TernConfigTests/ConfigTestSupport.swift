import TernConfig

/// The host name every test passes as the machine's.
let testHostname = "mx.example.com"

/// The directory every test's config "file" lives in.
let testDirectory = "/etc/tern"

/// Loads TOML text as if it were `/etc/tern/tern.toml`.
func load(_ source: String) throws(ConfigErrors) -> TernConfiguration {
    try ConfigLoader.load(source: source, fileName: "tern.toml", baseDirectory: testDirectory, hostname: testHostname)
}

/// The error lines for TOML text, empty when it loads.
func errorLines(_ source: String) -> [String] {
    do {
        _ = try load(source)
        return []
    } catch {
        return error.lines
    }
}

/// What an empty file gives.
let baseline = TernConfiguration(hostname: testHostname, dataDirectory: "/etc/tern/tern-data")
