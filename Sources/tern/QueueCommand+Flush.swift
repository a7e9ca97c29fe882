import ArgumentParser
import TernControl

extension QueueCommand {
    /// `tern queue flush [DOMAIN]`.
    struct Flush: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Try every message that is not held now, or only those with a recipient in DOMAIN.")

        @Argument(help: "Only messages with a recipient in this domain.")
        var domain: String?

        @OptionGroup var options: ConfigOption

        func run() async throws {
            try await QueueCommand.withClient(options) { client in
                let count = try await client.flush(domain: domain)
                print("\(count) message\(count == 1 ? "" : "s") scheduled for delivery")
            }
        }
    }
}
