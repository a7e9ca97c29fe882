#if canImport(Glibc)
package import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What tells one version of the accounts file from the next without reading it: each write
/// renames a new file into place, so the inode changes, and size and modification times
/// (with nanoseconds) catch anything else.
package struct AccountFileFingerprint: Hashable {
    package let device: UInt64
    package let inode: UInt64
    package let size: Int64
    package let modificationSeconds: Int
    package let modificationNanoseconds: Int
    package let changeSeconds: Int
    package let changeNanoseconds: Int

    package init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        #if canImport(Darwin)
        modificationSeconds = Int(info.st_mtimespec.tv_sec)
        modificationNanoseconds = Int(info.st_mtimespec.tv_nsec)
        changeSeconds = Int(info.st_ctimespec.tv_sec)
        changeNanoseconds = Int(info.st_ctimespec.tv_nsec)
        #else
        modificationSeconds = Int(info.st_mtim.tv_sec)
        modificationNanoseconds = Int(info.st_mtim.tv_nsec)
        changeSeconds = Int(info.st_ctim.tv_sec)
        changeNanoseconds = Int(info.st_ctim.tv_nsec)
        #endif
    }
}
