import Testing
import TernSubmission

@Suite struct PickupSendmailOptionsTests {
    private static func options(
        mode: SendmailOptions.Mode = .deliver, extract: Bool = false, sender: String? = nil, fullName: String? = nil,
        ignoreDots: Bool = false, config: String? = nil, recipients: [String] = []
    ) -> SendmailOptions {
        var options = SendmailOptions()
        options.mode = mode
        options.extractRecipients = extract
        options.sender = sender
        options.fullName = fullName
        options.ignoreDots = ignoreDots
        options.configPath = config
        options.recipients = recipients
        return options
    }

    @Test(arguments: [
        ([], options()),
        (["bob@example.com"], options(recipients: ["bob@example.com"])),
        (["-t"], options(extract: true)),
        (["-t", "-i"], options(extract: true, ignoreDots: true)),
        (["-ti"], options(extract: true, ignoreDots: true)),
        (["-oi", "bob"], options(ignoreDots: true, recipients: ["bob"])),
        (["-o", "i", "bob"], options(ignoreDots: true, recipients: ["bob"])),
        (["-f", "alice@example.org", "bob"], options(sender: "alice@example.org", recipients: ["bob"])),
        (["-falice@example.org", "bob"], options(sender: "alice@example.org", recipients: ["bob"])),
        (["-r", "<>", "bob"], options(sender: "<>", recipients: ["bob"])),
        (["-f", "", "bob"], options(sender: "", recipients: ["bob"])),
        (["-tif", "a@b", "c"], options(extract: true, sender: "a@b", ignoreDots: true, recipients: ["c"])),
        (["-F", "Alice Smith", "bob"], options(fullName: "Alice Smith", recipients: ["bob"])),
        (["-FAlice", "bob"], options(fullName: "Alice", recipients: ["bob"])),
        (["-bs"], options(mode: .smtp)),
        (["-b", "m", "bob"], options(recipients: ["bob"])),
        (["-bs", "-bm", "bob"], options(recipients: ["bob"])),
        (["-C", "/etc/tern.toml", "bob"], options(config: "/etc/tern.toml", recipients: ["bob"])),
        (["-C/etc/tern.toml", "bob"], options(config: "/etc/tern.toml", recipients: ["bob"])),
        (["--config", "t.toml", "bob"], options(config: "t.toml", recipients: ["bob"])),
        (["--config=t.toml", "bob"], options(config: "t.toml", recipients: ["bob"])),
        (["-oem", "-odi", "-oQ/var/spool", "-v", "-m", "-n", "-U", "-G", "bob"], options(recipients: ["bob"])),
        (["-O", "DeliveryMode=b", "-B", "8BITMIME", "-N", "never", "-R", "hdrs", "-V", "id", "-h", "3", "bob"],
         options(recipients: ["bob"])),
        (["-Am", "-L", "label", "-X", "/tmp/log", "-p", "local", "-e", "m", "bob"], options(recipients: ["bob"])),
        (["bob", "-t", "carol"], options(extract: true, recipients: ["bob", "carol"])),
        (["-t", "--", "-odd", "bob"], options(extract: true, recipients: ["-odd", "bob"])),
        (["-"], options(recipients: ["-"])),
    ])
    func commandLinesAreRead(arguments: [String], expected: SendmailOptions) throws {
        #expect(try SendmailOptions(parsing: arguments) == expected)
    }

    @Test(arguments: [
        (["-x"], "unknown option -x"),
        (["-tz"], "unknown option -z"),
        (["--verbose"], "unknown option --verbose"),
        (["-f"], "option -f needs a value"),
        (["bob", "-C"], "option -C needs a value"),
        (["--config"], "--config needs a file"),
        (["-bp"], "unsupported mode -bp"),
        (["-bd"], "unsupported mode -bd"),
        (["-q"], "queue runs (-q) are the server's work; see tern queue"),
        (["-q15m"], "queue runs (-q) are the server's work; see tern queue"),
    ])
    func badCommandLinesAreUsageErrors(arguments: [String], message: String) {
        #expect(throws: SendmailOptions.UsageError(description: message)) { try SendmailOptions(parsing: arguments) }
    }
}
