import ArgumentParser
import TernControl

extension QueueCommand {
    /// `tern queue release ID`.
    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Let a held message go, at once.")

        @Argument(help: "The queue id: 16 characters of 0-9 and A-Z.")
        var id: MessageID

        @OptionGroup var options: ConfigOption

        func run() async throws {
            try await QueueCommand.withClient(options) { client in
                try await client.release(id.id)
                print("\(id.id): released")
            }
        }
    }
}
