/// A file descriptor that closes when the last reference goes, so a `SpoolBody` can be read
/// for as long as anyone holds it, even after the message was removed.
package final class OpenFile: Sendable {
    /// The open descriptor.
    package let descriptor: CInt

    package init(descriptor: CInt) {
        self.descriptor = descriptor
    }

    deinit {
        Posix.close(descriptor)
    }
}
