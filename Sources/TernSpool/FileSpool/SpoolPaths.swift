import TernMessage
import TernSMTPCore

/// Where `FileSpool` keeps each file: flat `tmp/`, `incoming/`, `corrupt/`, `partial/` and
/// `spare/` under the root.
struct SpoolPaths: Sendable {
    /// The spool root.
    let root: String
    /// Bodies being received and records being rewritten; purged at start.
    let temporary: String
    /// Committed messages: `<id>.msg` (text and envelope), or `<id>.body` and `<id>.env`; an
    /// `<id>.env` beside an `<id>.msg` is its updated envelope (`MessageFiles`).
    let incoming: String
    /// Quarantine for anything recovery could not make sense of.
    let corrupt: String
    /// Checkpointed transactions kept for a resume.
    let partial: String
    /// Files of removed messages kept for new ones (`SpareFiles`).
    let spare: String

    init(root: String) {
        self.root = root
        temporary = root + "/tmp"
        incoming = root + "/incoming"
        corrupt = root + "/corrupt"
        partial = root + "/partial"
        spare = root + "/spare"
    }

    func temporaryBody(_ id: QueueID) -> String { "\(temporary)/\(id).body" }
    func temporaryEnvelope(_ id: QueueID) -> String { "\(temporary)/\(id).env" }
    /// A fresh name for rewriting the envelope of `id`, so concurrent rewrites never share a file.
    func temporaryUpdate(_ id: QueueID) -> String { "\(temporary)/\(id).\(UInt32.random(in: .min ... .max)).update" }
    func message(_ id: QueueID) -> String { "\(incoming)/\(id).msg" }
    func body(_ id: QueueID) -> String { "\(incoming)/\(id).body" }
    func envelope(_ id: QueueID) -> String { "\(incoming)/\(id).env" }
    func spareFile(_ name: String) -> String { "\(spare)/\(name)" }
}
