
/// One response on the control socket: `{"ok":true}` plus the result of the request under its
/// own key (`"entries"` for `list`, `"partials"` for `partial`, `"message"` for `show`, `"scheduled"` for `flush`), or
/// `{"ok":false,"error":"..."}`.
package enum ControlResponse: Hashable, Sendable {
    /// Done, with nothing to report (`hold`, `release`, `delete`, `bounce`).
    case done
    /// The queue, oldest first (`list`).
    case entries([QueueEntry])
    /// The checkpoint records, oldest first (`partial`).
    case partials([PartialEntry])
    /// One message (`show`).
    case message(QueueMessageDetail)
    /// How many messages were scheduled (`flush`).
    case scheduled(Int)
    /// Not done, and why, in words for the operator.
    case failure(String)
}

extension ControlResponse: Codable {
    private enum CodingKeys: String, CodingKey {
        case ok, error, entries, partials, message, scheduled
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if try !container.decode(Bool.self, forKey: .ok) {
            self = .failure(try container.decode(String.self, forKey: .error))
        } else if let entries = try container.decodeIfPresent([QueueEntry].self, forKey: .entries) {
            self = .entries(entries)
        } else if let partials = try container.decodeIfPresent([PartialEntry].self, forKey: .partials) {
            self = .partials(partials)
        } else if let message = try container.decodeIfPresent(QueueMessageDetail.self, forKey: .message) {
            self = .message(message)
        } else if let scheduled = try container.decodeIfPresent(Int.self, forKey: .scheduled) {
            self = .scheduled(scheduled)
        } else {
            self = .done
        }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        if case .failure(let reason) = self {
            try container.encode(false, forKey: .ok)
            try container.encode(reason, forKey: .error)
            return
        }
        try container.encode(true, forKey: .ok)
        switch self {
        case .done, .failure: break
        case .entries(let entries): try container.encode(entries, forKey: .entries)
        case .partials(let partials): try container.encode(partials, forKey: .partials)
        case .message(let message): try container.encode(message, forKey: .message)
        case .scheduled(let count): try container.encode(count, forKey: .scheduled)
        }
    }
}
