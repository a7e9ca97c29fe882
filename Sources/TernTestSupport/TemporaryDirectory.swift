import Foundation

/// A fresh directory under the system temporary directory, for tests that touch the disk.
package struct TemporaryDirectory: Sendable {
    /// The directory's absolute path.
    package let path: String

    /// Creates a new, empty directory whose name starts with `prefix`.
    package init(prefix: String = "tern-test") throws {
        let base = NSTemporaryDirectory().hasSuffix("/") ? NSTemporaryDirectory() : NSTemporaryDirectory() + "/"
        var template = Array((base + prefix + "-XXXXXX").utf8CString)
        guard let created = mkdtemp(&template) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: base + prefix])
        }
        path = String(cString: created)
    }

    /// Every regular file below the directory, as sorted paths relative to it.
    package func files() -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: path) else { return [] }
        var files: [String] = []
        while let relative = enumerator.nextObject() as? String {
            if enumerator.fileAttributes?[.type] as? FileAttributeType == .typeRegular {
                files.append(relative)
            }
        }
        return files.sorted()
    }

    /// Deletes the directory and everything in it.
    package func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
