import ArgumentParser
import TernDaemon

extension QueueCommand {
    /// `tern queue list [--json]`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the queued messages, as mailq does.",
            discussion: """
                A "!" after the queue id marks a held message; a line "(reason)" gives the last \
                error of the deferred recipients below it.
                """)

        @Flag(help: "Print a JSON array of the messages instead, with ISO 8601 dates.")
        var json = false

        @OptionGroup var options: ConfigOption

        func run() async throws {
            try await QueueCommand.withClient(options) { client in
                let entries = try await client.list()
                print(json ? try QueueReport.json(entries) : QueueReport().table(entries), terminator: "")
            }
        }
    }
}
