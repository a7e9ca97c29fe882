import ArgumentParser
import TernControl

extension QueueCommand {
    /// `tern queue hold ID`.
    struct Hold: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Keep a message from delivery until it is released.")

        @Argument(help: "The queue id: 16 characters of 0-9 and A-Z.")
        var id: MessageID

        @OptionGroup var options: ConfigOption

        func run() async throws {
            try await QueueCommand.withClient(options) { client in
                try await client.hold(id.id)
                print("\(id.id): placed on hold")
            }
        }
    }
}
