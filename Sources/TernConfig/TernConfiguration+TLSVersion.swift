extension TernConfiguration {
    /// A TLS protocol version a listener may be limited to (`tls.min_version`).
    package enum TLSVersion: String, Sendable, Hashable, CaseIterable {
        /// TLS 1.2 (RFC 5246).
        case v1_2 = "1.2"
        /// TLS 1.3 (RFC 8446).
        case v1_3 = "1.3"
    }
}
