import ArgumentParser
import TernControl

extension QueueCommand {
    /// `tern queue delete ID`.
    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a message without a report to its sender.")

        @Argument(help: "The queue id: 16 characters of 0-9 and A-Z.")
        var id: MessageID

        @OptionGroup var options: ConfigOption

        func run() async throws {
            try await QueueCommand.withClient(options) { client in
                try await client.delete(id.id)
                print("\(id.id): deleted")
            }
        }
    }
}
