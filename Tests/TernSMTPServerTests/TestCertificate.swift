import NIOSSL

/// A self-signed certificate for `mx.example.com` and `127.0.0.1`, valid until 2126, with its
/// P-256 key: made once with openssl for these tests, and trusted by nothing else.
enum TestCertificate {
    static let certificate = """
        -----BEGIN CERTIFICATE-----
        MIIBqTCCAVCgAwIBAgIUQqcW/h9wg9h4OBi7f4NzMLgDs24wCgYIKoZIzj0EAwIw
        GTEXMBUGA1UEAwwObXguZXhhbXBsZS5jb20wIBcNMjYxMjA3MDYwNDAyWhgPMjEy
        NjExMTMwNjA0MDJaMBkxFzAVBgNVBAMMDm14LmV4YW1wbGUuY29tMFkwEwYHKoZI
        zj0CAQYIKoZIzj0DAQcDQgAEJAkc3gEwzCF6qbUbPHsoTOgehWnlcdKzS/22+w7S
        Qgu7lsCWWBsufmDo5vN719Kagruq9w/girzCQ1diUIJ4B6N0MHIwHQYDVR0OBBYE
        FNLaKovQ9ZyDcarf4PCP/fGx8wb4MB8GA1UdIwQYMBaAFNLaKovQ9ZyDcarf4PCP
        /fGx8wb4MA8GA1UdEwEB/wQFMAMBAf8wHwYDVR0RBBgwFoIObXguZXhhbXBsZS5j
        b22HBH8AAAEwCgYIKoZIzj0EAwIDRwAwRAIgWc+QdqWH0ajXgeWMczIq4q0Hpme8
        xKWdJRe0boLOokYCIDRVD3poqW+1aq3z1VmIrFoJan9OufDR0YFuNfAnieaF
        -----END CERTIFICATE-----
        """
    static let privateKey = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg8KwU7pIUjYDIvZ0t
        J+TgvwQ3SnEuWPVCcZajoSRDX7WhRANCAAQkCRzeATDMIXqptRs8eyhM6B6FaeVx
        0rNL/bb7DtJCC7uWwJZYGy5+YOjm83vX0pqCu6r3D+CKvMJDV2JQgngH
        -----END PRIVATE KEY-----
        """

    /// A server context with the certificate.
    static func serverContext() throws -> NIOSSLContext {
        try NIOSSLContext(configuration: .makeServerConfiguration(
            certificateChain: [.certificate(try NIOSSLCertificate(bytes: Array(certificate.utf8), format: .pem))],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(privateKey.utf8), format: .pem))))
    }

    /// A client context that takes any certificate.
    static func clientContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        return try NIOSSLContext(configuration: configuration)
    }
}
