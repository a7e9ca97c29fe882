extension TernConfiguration {
    /// The certificate and key for STARTTLS and `smtps` listeners (`[tls]`).
    ///
    /// The loader checks that both files exist and are readable; their PEM contents are parsed
    /// by the daemon when it builds the TLS context (and again on each reload).
    package struct TLS: Sendable, Hashable {
        /// The PEM certificate chain, leaf first (`tls.certificate`), absolute.
        package var certificatePath: String
        /// The PEM private key (`tls.private_key`), absolute.
        package var privateKeyPath: String
        /// The oldest protocol version accepted (`tls.min_version`).
        package var minimumVersion: TLSVersion

        /// TLS settings; the minimum version defaults to TLS 1.2.
        package init(certificatePath: String, privateKeyPath: String, minimumVersion: TLSVersion = .v1_2) {
            self.certificatePath = certificatePath
            self.privateKeyPath = privateKeyPath
            self.minimumVersion = minimumVersion
        }
    }
}
