import NIOSSL
import TernConfig

extension TernConfiguration.TLS {
    /// Reads the certificate chain and key and builds a server context (TLS 1.2 or later).
    func makeContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificatePath).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: privateKeyPath, format: .pem)))
        configuration.minimumTLSVersion = switch minimumVersion {
        case .v1_2: .tlsv12
        case .v1_3: .tlsv13
        }
        return try NIOSSLContext(configuration: configuration)
    }
}
