import Foundation
import TernControl
import TernMessage
import TernSMTPCore

/// A queue in memory for the control socket tests: `list`, `show`, `hold` and `release` read
/// and change `entries`; `delete` and `bounce` remove the entry and remember it. With a
/// `listDelay`, `list` answers only after it (or never, when cancelled first).
actor FakeQueueControl: QueueControl {
    private(set) var entries: [QueueEntry]
    private(set) var deleted: [String] = []
    private(set) var bounced: [String] = []
    private(set) var flushedDomains: [String?] = []
    private let headers: [String: String]
    private let listDelay: Duration?

    init(entries: [QueueEntry], headers: [String: String] = [:], listDelay: Duration? = nil) {
        self.entries = entries
        self.headers = headers
        self.listDelay = listDelay
    }

    func list() async throws -> [QueueEntry] {
        if let listDelay { try await Task.sleep(for: listDelay) }
        return entries
    }

    func show(_ id: QueueID) throws -> QueueMessageDetail {
        QueueMessageDetail(entry: entries[try index(of: id)], headers: headers[id.description] ?? "")
    }

    func flush(domain: String?) -> Int {
        flushedDomains.append(domain)
        return entries.filter { entry in
            !entry.held && (domain.map { domain in
                entry.recipients.contains { $0.address.lowercased().hasSuffix("@" + domain.lowercased()) }
            } ?? true)
        }.count
    }

    func hold(_ id: QueueID) throws {
        entries[try index(of: id)].held = true
    }

    func release(_ id: QueueID) throws {
        entries[try index(of: id)].held = false
    }

    func delete(_ id: QueueID) throws {
        deleted.append(entries.remove(at: try index(of: id)).id)
    }

    func bounce(_ id: QueueID) throws {
        bounced.append(entries.remove(at: try index(of: id)).id)
    }

    private func index(of id: QueueID) throws -> Int {
        guard let index = entries.firstIndex(where: { $0.id == id.description }) else {
            throw QueueControlError.unknownMessage(id)
        }
        return index
    }
}
