#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The user running `tern sendmail`, as the maildrop records it.
package struct LocalUser: Sendable, Hashable {
    /// The login name; `uid<N>` when the user database has no entry.
    package var name: String
    /// The real user id.
    package var uid: UInt32

    /// A user with this name and id.
    package init(name: String, uid: UInt32) {
        self.name = name
        self.uid = uid
    }

    /// The real user of this process, named from the user database.
    package static func current() -> LocalUser {
        LocalUser(uid: UInt32(getuid()))
    }

    /// The user with id `uid`, named from the user database (`getpwuid_r`).
    package init(uid: UInt32) {
        let uid = uid_t(uid)
        var entry = passwd()
        var found: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        let result = getpwuid_r(uid, &entry, &buffer, buffer.count, &found)
        guard result == 0, found != nil, let name = entry.pw_name.map({ String(cString: $0) }), !name.isEmpty else {
            self.init(name: "uid\(uid)", uid: UInt32(uid))
            return
        }
        self.init(name: name, uid: UInt32(uid))
    }
}
