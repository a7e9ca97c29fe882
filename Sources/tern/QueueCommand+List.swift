import ArgumentParser
import TernControl

extension QueueCommand {
    /// `tern queue list [--json] [--partial]`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the queued messages, as mailq does.",
            discussion: """
                A "!" after the queue id marks a held message; a line "(reason)" gives the last \
                error of the deferred recipients below it.
                """)

        @Flag(help: "Print a JSON array of the messages instead, with ISO 8601 dates.")
        var json = false

        @Flag(help: "List the checkpoint records of interrupted or completed TRANSID transactions instead (RFC 1845).")
        var partial = false

        @OptionGroup var options: ConfigOption

        func run() async throws {
            try await QueueCommand.withClient(options) { client in
                if partial {
                    let entries = try await client.partial()
                    print(json ? try QueueReport.json(entries) : QueueReport().partialTable(entries), terminator: "")
                } else {
                    let entries = try await client.list()
                    print(json ? try QueueReport.json(entries) : QueueReport().table(entries), terminator: "")
                }
            }
        }
    }
}
