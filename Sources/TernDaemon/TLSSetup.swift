import NIOSSL
import TernConfig
import TernSMTPCore

/// The TLS 1.2 cipher suites a listener accepts (TLS 1.3's suites are all forward secret and
/// AEAD, and are left as they are).
enum TLSCipherPolicy: CaseIterable {
    /// `submission`, `smtps`, `odmr`: clients that must use TLS get Mozilla's "intermediate"
    /// profile: ECDHE key exchange with AES-GCM or ChaCha20-Poly1305 only.
    case mandatory
    /// `mx`: opportunistic encryption for any peer (RFC 7435), so also ECDHE with AES-CBC for
    /// older mail servers; still never a key exchange without forward secrecy (`TLS_RSA_*`).
    case opportunistic

    /// The policy of a listener with `role`.
    init(_ role: ListenerRole) {
        self = role == .mx ? .opportunistic : .mandatory
    }

    /// The suites as an OpenSSL (BoringSSL) cipher list.
    var cipherList: String {
        switch self {
        case .mandatory: "ECDHE+AESGCM:ECDHE+CHACHA20"
        case .opportunistic: "ECDHE+AESGCM:ECDHE+CHACHA20:ECDHE+AES"
        }
    }
}

extension TernConfiguration.TLS {
    /// Reads the certificate chain and key and builds a server context (TLS 1.2 or later) that
    /// accepts the suites of `policy`.
    func makeContext(_ policy: TLSCipherPolicy) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificatePath).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: privateKeyPath, format: .pem)))
        configuration.minimumTLSVersion = switch minimumVersion {
        case .v1_2: .tlsv12
        case .v1_3: .tlsv13
        }
        configuration.cipherSuites = policy.cipherList
        return try NIOSSLContext(configuration: configuration)
    }
}
