import ArgumentParser
import TernControl

extension QueueCommand {
    /// `tern queue bounce ID`.
    struct Bounce: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fail a message's undelivered recipients and send its sender a failure report.")

        @Argument(help: "The queue id: 16 characters of 0-9 and A-Z.")
        var id: MessageID

        @OptionGroup var options: ConfigOption

        func run() async throws {
            try await QueueCommand.withClient(options) { client in
                try await client.bounce(id.id)
                print("\(id.id): bounced")
            }
        }
    }
}
