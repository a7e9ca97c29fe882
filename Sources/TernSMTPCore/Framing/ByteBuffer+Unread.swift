import NIOCore

extension ByteBuffer {
    /// Adds `bytes` after the unread octets. When octets are still unread, the result is a
    /// fresh buffer holding only them and `bytes`: writing into the old storage would keep
    /// every octet already consumed (a buffer's storage never shrinks).
    mutating func appendUnread(_ bytes: ByteBuffer) {
        guard readableBytes > 0 else {
            self = bytes
            return
        }
        var combined = ByteBuffer()
        combined.reserveCapacity(readableBytes + bytes.readableBytes)
        combined.writeBuffer(&self)
        var bytes = bytes
        combined.writeBuffer(&bytes)
        self = combined
    }
}
