#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The folder where `tern sendmail` leaves messages for the running server, which works while
/// the server is down (as Postfix's maildrop directory).
///
/// Layout, all flat:
/// - `.tmp-<id>`: a file being written; never read by the pickup.
/// - `<id>.drop`: a complete file, a `MaildropHeader` then the message text.
/// - `corrupt/`: files the pickup could not parse, kept for the operator.
///
/// It lives at `<data_dir>/maildrop/`, outside the spool, whose recovery purges what it does not
/// know. Only the user that owns the folder (the server's) and root can submit; what root
/// creates there is given to the owner of the directory it is created in, so that a server
/// running as another user can read and delete it. Every call blocks; the server makes them on
/// its thread pool.
public struct Maildrop: Sendable {
    /// The extension of a complete maildrop file.
    public static let fileExtension = "drop"
    /// How the name of an unfinished file starts.
    static let temporaryPrefix = ".tmp-"

    /// The folder.
    public let directory: String
    private let operations: any SpoolFileOperations

    /// The maildrop folder at `directory`.
    public init(directory: String) {
        self.init(directory: directory, operations: SystemFileOperations())
    }

    /// The maildrop folder of a data directory: `<dataDirectory>/maildrop`.
    public init(dataDirectory: String) {
        self.init(directory: dataDirectory + "/maildrop")
    }

    /// A folder whose write, fsync and rename calls go through `operations` (tests inject failures).
    package init(directory: String, operations: any SpoolFileOperations) {
        self.directory = directory
        self.operations = operations
    }

    /// Where unparsable files are moved.
    public var corruptDirectory: String { directory + "/corrupt" }

    /// Creates the folder, and every missing directory above it, mode 0700, each made durable
    /// in its parent.
    public func prepare() throws {
        try Self.makeDirectories(directory, operations: operations)
    }

    /// Starts a new file with `header`; append the message text to the writer, then commit it.
    public func create(_ header: MaildropHeader) throws -> MaildropWriter {
        try MaildropWriter(directory: directory, header: header, operations: operations)
    }

    /// The names of the complete files, oldest first. Unfinished files and anything else in
    /// the folder are left alone.
    public func pending() throws -> [String] {
        try Posix.listDirectory(directory).filter(Self.isDropName).sorted()
    }

    /// Opens the complete file `name` and reads its header.
    ///
    /// - Throws: `MaildropError` when the header won't parse (the file belongs in `corrupt/`),
    ///   `FileSystemError` when the file can't be read.
    public func open(_ name: String) throws -> MaildropMessage {
        try MaildropMessage(path: "\(directory)/\(name)", name: name)
    }

    /// Deletes the file `name` and makes that durable.
    public func remove(_ name: String) throws {
        try Posix.unlink("\(directory)/\(name)")
        try Posix.syncDirectory(directory, operations: operations)
    }

    /// Moves the file `name` into `corrupt/` (created if missing) and makes that durable.
    public func quarantine(_ name: String) throws {
        if try Posix.makeDirectory(corruptDirectory) {
            try Posix.syncDirectory(directory, operations: operations)
        }
        try operations.rename("\(directory)/\(name)", to: "\(corruptDirectory)/\(name)")
        try Posix.syncDirectory(corruptDirectory, operations: operations)
        try Posix.syncDirectory(directory, operations: operations)
    }

    private static func isDropName(_ name: String) -> Bool {
        let suffix = "." + fileExtension
        guard name.hasSuffix(suffix) else { return false }
        return QueueID(String(name.dropLast(suffix.count))) != nil
    }

    private static func makeDirectories(_ path: String, operations: any SpoolFileOperations) throws {
        guard !Posix.isDirectory(path) else { return }
        let parent = parent(of: path)
        if parent != path { try makeDirectories(parent, operations: operations) }
        if try Posix.makeDirectory(path) {
            try giveToOwner(of: parent, path: path) { chown(path, $0, $1) }
            try Posix.syncDirectory(parent, operations: operations)
        }
    }

    /// When running as root, hands what `change` applies to (a file just created in
    /// `directory`) to the owner and group of `directory`.
    static func giveToOwner(
        of directory: String, path: String, _ change: (uid_t, gid_t) -> CInt
    ) throws {
        guard geteuid() == 0 else { return }
        var owner = stat()
        guard stat(directory, &owner) == 0 else { throw FileSystemError("stat", path: directory) }
        guard owner.st_uid != geteuid() || owner.st_gid != getegid() else { return }
        guard change(owner.st_uid, owner.st_gid) == 0 else { throw FileSystemError("chown", path: path) }
    }

    private static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
