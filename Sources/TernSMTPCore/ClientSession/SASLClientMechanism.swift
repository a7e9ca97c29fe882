/// One SASL exchange on the client's side (RFC 4422 §3, carried by AUTH as RFC 4954 §4 says):
/// a pure state machine the client session drives. The session sends `AUTH <name> <initial
/// response>`, answers each `334` challenge with `respond(to:)`, and takes the server's `235`
/// as success only when `isComplete` (a mechanism that authenticates the server, as SCRAM
/// does, is complete only after it checked the server's proof).
public protocol SASLClientMechanism: Sendable {
    /// The mechanism's name as in the EHLO `AUTH` keyword, upper case.
    var name: String { get }
    /// Starts the exchange: the initial response sent with AUTH (RFC 4954 §4).
    mutating func start() -> [UInt8]
    /// The response to a server challenge (decoded from base64), or nil to cancel the
    /// exchange with `*`: the challenge is malformed, or the server failed to prove itself.
    mutating func respond(to challenge: [UInt8]) -> [UInt8]?
    /// Whether the exchange reached the point where the server's success may be believed.
    var isComplete: Bool { get }
}

/// SASL PLAIN (RFC 4616): the user name and password in the initial response, no
/// authorization identity; no challenge is expected.
public struct PlainClientMechanism: SASLClientMechanism, CustomStringConvertible {
    private let username: String
    private let password: String

    /// PLAIN for `username` with `password`.
    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    /// `PLAIN`.
    public var name: String { "PLAIN" }

    /// `NUL username NUL password` (RFC 4616 §2).
    public func start() -> [UInt8] {
        [0] + Array(username.utf8) + [0] + Array(password.utf8)
    }

    /// PLAIN has no challenges: any is answered by cancelling.
    public func respond(to challenge: [UInt8]) -> [UInt8]? { nil }

    /// The server alone decides.
    public var isComplete: Bool { true }

    /// The user name only.
    public var description: String { "PLAIN(\(username), <redacted>)" }
}
