import Crypto
public import TernSMTPCore

/// SCRAM-SHA-256 as a client (RFC 5802 §3 and §5, RFC 7677), without channel binding: the
/// client-first message, the client-final message with the proof, and a check of the server's
/// signature before its success counts, so a server that does not know the password cannot
/// pass for the real one.
///
/// The password's UTF-8 octets are used as they are (see ``SCRAMKeys`` on SASLprep).
public struct SCRAMClientMechanism: SASLClientMechanism, CustomStringConvertible {
    /// The most iterations a server may ask for: more would let a hostile server make the
    /// client spin (RFC 5802 §9 leaves the bound to the client).
    public static var maximumIterations: Int { 1_000_000 }

    private enum Step: Sendable {
        case notStarted
        /// client-first sent: its bare part (the AuthMessage starts with it) and the nonce.
        case sentFirst(bare: String, nonce: String)
        /// client-final sent: the signature the server must answer with.
        case sentFinal(serverSignature: [UInt8])
        case verified
        case failed
    }

    private let username: String
    private let password: String
    private let nonce: String?
    private var step = Step.notStarted

    /// SCRAM-SHA-256 for `username` with `password`; each exchange gets a fresh nonce from
    /// the system generator.
    public init(username: String, password: String) {
        self.username = username
        self.password = password
        self.nonce = nil
    }

    /// SCRAM-SHA-256 with a fixed client nonce, to replay published exchanges in tests.
    package init(username: String, password: String, nonce: String) {
        self.username = username
        self.password = password
        self.nonce = nonce
    }

    /// `SCRAM-SHA-256`.
    public var name: String { "SCRAM-SHA-256" }

    /// `n,,n=<user>,r=<nonce>`: no channel binding, no authorization identity.
    public mutating func start() -> [UInt8] {
        var random = SystemRandomSource()
        let nonce = self.nonce ?? Base64.encode(random.bytes(count: 18))
        let bare = "n=\(Self.escape(username)),r=\(nonce)"
        step = .sentFirst(bare: bare, nonce: nonce)
        return Array("n,,\(bare)".utf8)
    }

    /// The client-final message for the server-first one, then an empty response to the
    /// server-final one once its signature verified; nil (cancel) for anything else.
    public mutating func respond(to challenge: [UInt8]) -> [UInt8]? {
        guard let text = String(validating: challenge, as: UTF8.self) else { return fail() }
        switch step {
        case .sentFirst(let bare, let nonce):
            guard let response = clientFinal(serverFirst: text, bare: bare, nonce: nonce) else { return fail() }
            return Array(response.utf8)
        case .sentFinal(let expected):
            guard text.hasPrefix("v="), let signature = Base64.decode(text.dropFirst(2)),
                  ConstantTime.equal(signature, expected) else { return fail() }
            step = .verified
            return []
        case .notStarted, .verified, .failed:
            return fail()
        }
    }

    /// True once the server's signature verified.
    public var isComplete: Bool {
        if case .verified = step { return true }
        return false
    }

    /// The user name only.
    public var description: String { "SCRAM-SHA-256(\(username), <redacted>)" }

    /// `c=biws,r=<nonce>,p=<proof>` for `server-first = r=<nonce>,s=<salt>,i=<count>[,ext]`,
    /// whose nonce must extend the client's; nil when it does not parse or asks for a
    /// mandatory extension (`m=`).
    private mutating func clientFinal(serverFirst: String, bare: String, nonce: String) -> String? {
        let fields = serverFirst.split(separator: ",", omittingEmptySubsequences: false)
        guard fields.count >= 3, fields[0].hasPrefix("r="), fields[1].hasPrefix("s="), fields[2].hasPrefix("i=") else {
            return nil
        }
        let combined = String(fields[0].dropFirst(2))
        guard combined.hasPrefix(nonce), combined.count > nonce.count, SCRAMClientFirst.isNonce(Substring(combined)),
              let salt = Base64.decode(fields[1].dropFirst(2)), !salt.isEmpty,
              let iterations = Int(fields[2].dropFirst(2)), (1...Self.maximumIterations).contains(iterations)
        else { return nil }
        let salted = SCRAMKeys.saltedPassword(password, salt: salt, iterations: iterations)
        let clientKey = SCRAMKeys.hmac(salted, "Client Key")
        let storedKey = Array(SHA256.hash(data: clientKey))
        let withoutProof = "c=biws,r=\(combined)"
        let authMessage = Array("\(bare),\(serverFirst),\(withoutProof)".utf8)
        let clientSignature = HMAC<SHA256>.authenticationCode(for: authMessage, using: SymmetricKey(data: storedKey))
        let proof = zip(clientKey, clientSignature).map { $0 ^ $1 }
        let serverKey = SymmetricKey(data: SCRAMKeys.hmac(salted, "Server Key"))
        step = .sentFinal(serverSignature: Array(HMAC<SHA256>.authenticationCode(for: authMessage, using: serverKey)))
        return "\(withoutProof),p=\(Base64.encode(proof))"
    }

    private mutating func fail() -> [UInt8]? {
        step = .failed
        return nil
    }

    /// `saslname`: `=` as `=3D`, `,` as `=2C` (RFC 5802 §5.1).
    private static func escape(_ name: String) -> String {
        name.unicodeScalars.map { scalar in
            switch scalar {
            case "=": "=3D"
            case ",": "=2C"
            default: String(scalar)
            }
        }.joined()
    }
}
