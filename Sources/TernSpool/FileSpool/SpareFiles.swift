#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOConcurrencyHelpers
import TernIO

/// Files of removed messages kept in `spare/`, written over by new messages instead of being
/// unlinked and created again (docs/architecture.md "Spare files").
///
/// Each message file created costs the file system an inode allocation, and each removal frees
/// one; ext4 without a journal scans past every inode freed in the last seconds at each
/// allocation, so under a steady relay load that cost grows with the rate. A spare skips both:
/// removal renames `incoming/<id>.msg` into `spare/`, and a new message is written over a spare
/// from its start, cut to its own length at commit and renamed into `incoming/`.
///
/// A reader may still have a removed message open (`SpoolBody` keeps a text readable after its
/// removal). Readers hold a shared `flock` on the file (`MessageFiles.openText`), and a writer
/// takes a spare only with an exclusive one, without waiting: a spare someone still reads is
/// left for later. The names are numbers, unique within `spare/`.
final class SpareFiles: Sendable {
    /// At most this many spares are kept; removals beyond unlink.
    static let capacity = 256
    /// Only texts of at most this many octets become spares, so the spares never hold more than
    /// `capacity` times this of disk.
    static let largest = 256 * 1024

    private struct State {
        /// Spares ready for a writer, oldest first.
        var ready: [String] = []
        /// Names handed out by `reserve()` and not yet kept or cancelled.
        var reserved = 0
        var nextNumber = 0
    }

    private let state = NIOLockedValueBox(State())
    private let paths: SpoolPaths

    init(paths: SpoolPaths) {
        self.paths = paths
    }

    /// Takes over the spares found in `spare/` at start, and returns the names beyond
    /// `capacity` (or not made by this class), for the caller to unlink.
    func adopt(_ names: [String]) -> [String] {
        state.withLockedValue { state in
            var extra: [String] = []
            for name in names {
                guard let number = Int(name), number >= 0, state.ready.count < Self.capacity else {
                    extra.append(name)
                    continue
                }
                state.ready.append(name)
                state.nextNumber = max(state.nextNumber, number + 1)
            }
            return extra
        }
    }

    /// Where the spare `name` is.
    func path(of name: String) -> String {
        paths.spareFile(name)
    }

    /// A fresh name for a removed message's file when there is room for one more spare; the
    /// caller then calls `keep(_:)` or `cancel()`.
    func reserve() -> String? {
        state.withLockedValue { state in
            guard state.ready.count + state.reserved < Self.capacity else { return nil }
            state.reserved += 1
            state.nextNumber += 1
            return String(state.nextNumber - 1)
        }
    }

    /// The file of a reserved name is in `spare/` now.
    func keep(_ name: String) {
        state.withLockedValue { state in
            state.reserved -= 1
            state.ready.append(name)
        }
    }

    /// A reserved name was not used.
    func cancel() {
        state.withLockedValue { $0.reserved -= 1 }
    }

    /// A spare that an aborted writer had: it is ready again.
    func giveBack(_ name: String) {
        state.withLockedValue { $0.ready.append(name) }
    }

    /// Opens the oldest spare for writing, locked exclusively: its descriptor and name, or nil
    /// when there is none that no reader holds. Runs on the thread pool.
    func open() -> (descriptor: CInt, name: String)? {
        // A spare a reader still holds goes to the back; after two of those, a new file is cheaper.
        for _ in 0..<2 {
            guard let name = state.withLockedValue({ $0.ready.isEmpty ? nil : $0.ready.removeFirst() }) else { return nil }
            let path = paths.spareFile(name)
            guard let descriptor = try? Posix.open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW) else { continue }
            if (try? Posix.tryLock(descriptor, exclusive: true, path: path)) == true { return (descriptor, name) }
            Posix.close(descriptor)
            giveBack(name)
        }
        return nil
    }
}
