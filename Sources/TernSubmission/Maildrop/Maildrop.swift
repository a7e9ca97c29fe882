#if canImport(Glibc)
package import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
package import TernIO
import TernMessage
import TernSMTPCore

/// The folder where `tern sendmail` leaves messages for the running server, which works while
/// the server is down (as Postfix's maildrop directory).
///
/// Layout, all flat:
/// - `.tmp-<id>`: a file being written; never read by the pickup.
/// - `<id>.drop`: a complete file, a `MaildropHeader` then the message text.
///
/// It lives at `<data_dir>/maildrop/`, outside the spool, whose recovery purges what it does not
/// know; files the pickup could not parse go to `<data_dir>/maildrop.corrupt/`, outside the
/// folder every local user may write to.
///
/// Every local user may submit, as with Postfix's setgid `postdrop`, but without a privileged
/// program: the folder belongs to the server's user and has mode 1733 — anyone may create a
/// file in it, nobody but its owner may list it, and the sticky bit keeps users from removing
/// or renaming each other's files. The file's owner, which a user cannot forge, tells the
/// pickup who submitted it (docs/configuration.md `tern sendmail`). What root creates there is
/// given to the owner of the folder, so that a server running as another user can read and
/// delete it. Every call blocks; the server makes them on its thread pool.
package struct Maildrop: Sendable {
    /// The extension of a complete maildrop file.
    package static let fileExtension = "drop"
    /// How the name of an unfinished file starts.
    package static let temporaryPrefix = ".tmp-"

    /// The folder.
    package let directory: String
    private let operations: any FileOperations

    /// The maildrop folder at `directory`.
    package init(directory: String) {
        self.init(directory: directory, operations: SystemFileOperations())
    }

    /// The maildrop folder of a data directory: `<dataDirectory>/maildrop`.
    package init(dataDirectory: String) {
        self.init(directory: dataDirectory + "/maildrop")
    }

    /// A folder whose write, fsync and rename calls go through `operations` (tests inject failures).
    package init(directory: String, operations: any FileOperations) {
        self.directory = directory
        self.operations = operations
    }

    /// Where unparsable files are moved: beside the folder, not in it.
    package var corruptDirectory: String { directory + ".corrupt" }

    /// The permission bits of the folder: sticky, writable and searchable by everyone, listable
    /// by its owner only.
    package static let folderMode: mode_t = 0o1733

    /// Makes sure the folder is there. A folder that exists and belongs to another user (the
    /// server's, seen by a local user submitting mail) is only checked to be a directory, not a
    /// symbolic link. Otherwise it is created with every missing directory above it (mode 0700,
    /// each made durable in its parent), and when this process owns it or runs as root it gets
    /// ``folderMode`` and the directory holding it becomes searchable by everyone, so that
    /// every local user can reach it; nothing else in that directory becomes readable.
    package func prepare() throws {
        let euid = geteuid()
        if euid != 0, let info = try? Posix.linkStatus(directory), info.st_uid != euid {
            guard info.st_mode & S_IFMT == S_IFDIR else { throw FileSystemError("open", path: directory, code: ENOTDIR) }
            return
        }
        let folder = try DirectoryHandle.make(directory, operations: operations)
        guard try euid == 0 || folder.owner().uid == euid else { return }
        if try folder.mode() != Self.folderMode { try folder.changeMode(Self.folderMode) }
        let parent = try DirectoryHandle(path: Posix.parentDirectory(of: directory))
        let parentMode = try parent.mode()
        if parentMode & 0o011 != 0o011, try euid == 0 || parent.owner().uid == euid {
            try parent.changeMode(parentMode | 0o011)
        }
    }

    /// The owner of the folder: the user the pickup trusts besides root.
    package func folderOwner() throws -> uid_t {
        try Posix.linkStatus(directory).st_uid
    }

    /// Starts a new file with `header`; append the message text to the writer, then commit it.
    package func create(_ header: MaildropHeader) throws -> MaildropWriter {
        try MaildropWriter(directory: directory, header: header, operations: operations)
    }

    /// The names of the complete files, oldest first. Unfinished files and anything else in
    /// the folder are left alone.
    package func pending() throws -> [String] {
        try Posix.listDirectory(directory).filter(Self.isDropName).sorted()
    }

    /// Opens the complete file `name` and reads its header.
    ///
    /// - Throws: `MaildropError` when the header won't parse (the file belongs in `corrupt/`),
    ///   `FileSystemError` when the file can't be read.
    package func open(_ name: String) throws -> MaildropMessage {
        try MaildropMessage(path: "\(directory)/\(name)", name: name)
    }

    /// Deletes the file `name` and makes that durable.
    package func remove(_ name: String) throws {
        try Posix.unlink("\(directory)/\(name)")
        try Posix.syncDirectory(directory, operations: operations)
    }

    /// Moves the file `name` into ``corruptDirectory`` (created if missing) and makes that durable.
    package func quarantine(_ name: String) throws {
        _ = try DirectoryHandle.make(corruptDirectory, operations: operations)
        try operations.rename("\(directory)/\(name)", to: "\(corruptDirectory)/\(name)")
        try Posix.syncDirectory(corruptDirectory, operations: operations)
        try Posix.syncDirectory(directory, operations: operations)
    }

    private static func isDropName(_ name: String) -> Bool {
        let suffix = "." + fileExtension
        guard name.hasSuffix(suffix) else { return false }
        return QueueID(spoolFormat: String(name.dropLast(suffix.count))) != nil
    }

    /// Makes the file open at `descriptor`, just created in `directory`, readable by the
    /// folder's owner (the server): as root, the file is given to that owner; as another user,
    /// when the server runs as neither root nor this user, the file becomes readable by all
    /// (0644) — the folder can't be listed and the file's name is unpredictable, and it stays
    /// only until the pickup moves it into the spool.
    package static func handOver(_ descriptor: CInt, in directory: String, path: String) throws {
        let folder = try Posix.linkStatus(directory)
        let (uid, gid) = (folder.st_uid, folder.st_gid)
        let euid = geteuid()
        if euid == 0 {
            guard uid != 0 || gid != getegid() else { return }
            guard fchown(descriptor, uid, gid) == 0 else { throw FileSystemError("chown", path: path) }
        } else if uid != 0 && uid != euid {
            guard fchmod(descriptor, 0o644) == 0 else { throw FileSystemError("chmod", path: path) }
        }
    }
}
