import ArgumentParser
import TernControl

extension QueueCommand {
    /// `tern queue show ID`.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one queued message: its recipients and their state, then its header.")

        @Argument(help: "The queue id: 16 characters of 0-9 and A-Z.")
        var id: MessageID

        @OptionGroup var options: ConfigOption

        func run() async throws {
            try await QueueCommand.withClient(options) { client in
                print(QueueReport().detail(try await client.show(id.id)), terminator: "")
            }
        }
    }
}
