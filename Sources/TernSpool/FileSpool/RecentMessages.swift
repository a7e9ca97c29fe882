import NIOConcurrencyHelpers
import NIOCore
import TernMessage
import TernSMTPCore

/// The envelopes and texts the spool wrote last, so that the queue's first attempt reads them
/// from memory instead of from the files just written (docs/architecture.md §3, "Scheduling").
///
/// Every change of a message goes through the one `FileSpool` of the process (commit, update,
/// removal), which keeps this in step: an entry is the message as on disk, or absent. A commit
/// remembers its message just before the envelope is renamed into `incoming/` (and forgets it
/// if the commit fails), so nobody who can find the message on disk finds an older entry. A text is
/// kept only when the writer had all of it in memory at commit (under 128 KiB); texts are
/// immutable. The oldest entries go first once `entryLimit` or `textLimit` is reached.
final class RecentMessages: Sendable {
    private struct Entry {
        var envelope: Envelope
        var text: ByteBuffer?
    }

    private struct State {
        var entries: [QueueID: Entry] = [:]
        /// Ids in the order they were remembered; ids already forgotten are skipped.
        var order: [QueueID] = []
        var oldest = 0
        var textBytes = 0
    }

    /// At most this many messages are kept.
    let entryLimit: Int
    /// At most this many octets of text are kept.
    let textLimit: Int
    private let state = NIOLockedValueBox(State())

    /// A cache of at most `entryLimit` messages and `textLimit` octets of text.
    init(entryLimit: Int = 4096, textLimit: Int = 16 * 1024 * 1024) {
        self.entryLimit = entryLimit
        self.textLimit = textLimit
    }

    /// Keeps a message just committed, with its whole text when the writer has it.
    func remember(_ envelope: Envelope, text: ByteBuffer?) {
        state.withLockedValue { state in
            let text = text.flatMap { $0.readableBytes <= textLimit ? $0 : nil }
            if let old = state.entries.updateValue(Entry(envelope: envelope, text: text), forKey: envelope.id) {
                state.textBytes -= old.text?.readableBytes ?? 0
            } else {
                state.order.append(envelope.id)
            }
            state.textBytes += text?.readableBytes ?? 0
            while state.entries.count > entryLimit || state.textBytes > textLimit {
                let id = state.order[state.oldest]
                state.oldest += 1
                if let gone = state.entries.removeValue(forKey: id) { state.textBytes -= gone.text?.readableBytes ?? 0 }
            }
            if state.oldest > 1024, state.oldest * 2 > state.order.count {
                state.order.removeFirst(state.oldest)
                state.oldest = 0
            }
        }
    }

    /// Replaces the envelope of a message kept here; a message not kept stays out.
    func update(_ envelope: Envelope) {
        state.withLockedValue { state in
            state.entries[envelope.id]?.envelope = envelope
        }
    }

    /// Forgets `id`: removed, or its envelope on disk is no longer known for sure.
    func forget(_ id: QueueID) {
        state.withLockedValue { state in
            if let gone = state.entries.removeValue(forKey: id) { state.textBytes -= gone.text?.readableBytes ?? 0 }
        }
    }

    /// The envelope of `id` as on disk, when kept.
    func envelope(_ id: QueueID) -> Envelope? {
        state.withLockedValue { $0.entries[id]?.envelope }
    }

    /// The whole text of `id`, when kept.
    func text(_ id: QueueID) -> ByteBuffer? {
        state.withLockedValue { $0.entries[id]?.text }
    }
}
