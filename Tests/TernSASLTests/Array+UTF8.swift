extension Array where Element == UInt8 {
    /// The UTF-8 octets of `text`.
    init(_ text: String) {
        self = Array(text.utf8)
    }
}
