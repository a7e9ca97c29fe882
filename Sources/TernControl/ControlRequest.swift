import TernMessage
package import TernSMTPCore

/// One request on the control socket, a line such as `{"command":"hold","id":"..."}`.
///
/// `flush` takes an optional `"domain"`; `show`, `hold`, `release`, `delete` and `bounce` take an
/// `"id"`; `list` and `partial` take nothing. Decoding fails on an unknown command, a missing id or a
/// malformed one.
package enum ControlRequest: Hashable, Sendable {
    /// Every queued message (`tern queue list`).
    case list
    /// Every checkpoint record (`tern queue list --partial`).
    case partial
    /// One message with its header section (`tern queue show ID`).
    case show(QueueID)
    /// Schedules every message that is not held, or only those with a recipient in `domain`.
    case flush(domain: String?)
    /// Keeps a message from delivery.
    case hold(QueueID)
    /// Lets a held message go.
    case release(QueueID)
    /// Removes a message without a report.
    case delete(QueueID)
    /// Fails a message's undelivered recipients and reports to its sender.
    case bounce(QueueID)

    /// The `"command"` of each request.
    package enum Command: String, Hashable, Sendable, Codable {
        case list, partial, show, flush, hold, release, delete, bounce
    }

    /// What the request asks for.
    package var command: Command {
        switch self {
        case .list: .list
        case .partial: .partial
        case .show: .show
        case .flush: .flush
        case .hold: .hold
        case .release: .release
        case .delete: .delete
        case .bounce: .bounce
        }
    }

    /// The message the request names, if it names one.
    package var id: QueueID? {
        switch self {
        case .list, .partial, .flush: nil
        case .show(let id), .hold(let id), .release(let id), .delete(let id), .bounce(let id): id
        }
    }
}

extension ControlRequest: Codable {
    private enum CodingKeys: String, CodingKey {
        case command, id, domain
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let name = try container.decode(String.self, forKey: .command)
        guard let command = Command(rawValue: name) else {
            throw DecodingError.dataCorruptedError(
                forKey: .command, in: container, debugDescription: "unknown command \"\(name)\"")
        }
        func id() throws -> QueueID {
            let text = try container.decode(String.self, forKey: .id)
            guard let id = QueueID(spoolFormat: text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .id, in: container, debugDescription: "malformed queue id \"\(text)\"")
            }
            return id
        }
        switch command {
        case .list: self = .list
        case .partial: self = .partial
        case .show: self = .show(try id())
        case .flush: self = .flush(domain: try container.decodeIfPresent(String.self, forKey: .domain))
        case .hold: self = .hold(try id())
        case .release: self = .release(try id())
        case .delete: self = .delete(try id())
        case .bounce: self = .bounce(try id())
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(command, forKey: .command)
        try container.encodeIfPresent(id?.description, forKey: .id)
        if case .flush(let domain) = self {
            try container.encodeIfPresent(domain, forKey: .domain)
        }
    }
}
