/// An RFC 3463 enhanced status code, `class.subject.detail`.
///
/// Only the codes Tern sends exist as cases, so a `switch` over them is exhaustive and the
/// catalogue can't drift from the list (OpenSMTPD's `esc.c` shows how hand-kept tables do).
///
/// SeeAlso: RFC 3463, RFC 5248 (registry), RFC 4954 §6, RFC 7504.
public enum EnhancedStatusCode: Hashable, Sendable, CustomStringConvertible {
    case success(Subject)
    case persistentTransient(Subject)
    case permanent(Subject)

    /// `subject.detail` of the codes Tern uses.
    public enum Subject: Hashable, Sendable {
        /// x.0.0 Other undefined status.
        case undefined
        /// x.1.0 Other address status (MAIL accepted: 2.1.0).
        case otherAddress
        /// x.1.1 Bad destination mailbox address.
        case badDestinationMailbox
        /// x.1.3 Bad destination mailbox address syntax.
        case badDestinationSyntax
        /// x.1.5 Destination address valid.
        case destinationValid
        /// x.1.6 Destination mailbox has moved.
        case mailboxMoved
        /// x.1.7 Bad sender's mailbox address syntax.
        case badSenderSyntax
        /// x.2.0 Other or undefined mailbox status.
        case otherMailbox
        /// x.2.1 Mailbox disabled, not accepting messages.
        case mailboxDisabled
        /// x.3.0 Other or undefined mail system status.
        case otherMailSystem
        /// x.3.1 Mail system full.
        case mailSystemFull
        /// x.3.2 System not accepting network messages.
        case notAcceptingMessages
        /// x.3.4 Message too big for system.
        case messageTooBig
        /// x.4.2 Bad connection.
        case badConnection
        /// x.4.6 Routing loop detected.
        case routingLoop
        /// x.5.0 Other or undefined protocol status.
        case otherProtocol
        /// x.5.1 Invalid command.
        case invalidCommand
        /// x.5.2 Syntax error.
        case syntaxError
        /// x.5.3 Too many recipients.
        case tooManyRecipients
        /// x.5.4 Invalid command arguments.
        case invalidArguments
        /// x.5.6 Authentication exchange line is too long (RFC 4954).
        case authLineTooLong
        /// x.6.0 Other or undefined media error.
        case otherMedia
        /// x.6.7 Non-ASCII addresses not permitted for that sender/recipient (RFC 6531).
        case nonASCIIAddress
        /// x.7.0 Other or undefined security status.
        case otherSecurity
        /// x.7.1 Delivery not authorized, message refused.
        case notAuthorized
        /// x.7.8 Authentication credentials invalid (RFC 4954).
        case invalidCredentials
        /// x.7.9 Authentication mechanism is too weak (RFC 4954).
        case mechanismTooWeak
        /// x.7.11 Encryption required for requested authentication mechanism (RFC 4954).
        case encryptionRequired
        /// x.7.12 A password transition is needed (RFC 4954).
        case passwordTransition

        /// The `subject.detail` numbers.
        public var numbers: (subject: Int, detail: Int) {
            switch self {
            case .undefined: (0, 0)
            case .otherAddress: (1, 0)
            case .badDestinationMailbox: (1, 1)
            case .badDestinationSyntax: (1, 3)
            case .destinationValid: (1, 5)
            case .mailboxMoved: (1, 6)
            case .badSenderSyntax: (1, 7)
            case .otherMailbox: (2, 0)
            case .mailboxDisabled: (2, 1)
            case .otherMailSystem: (3, 0)
            case .mailSystemFull: (3, 1)
            case .notAcceptingMessages: (3, 2)
            case .messageTooBig: (3, 4)
            case .badConnection: (4, 2)
            case .routingLoop: (4, 6)
            case .otherProtocol: (5, 0)
            case .invalidCommand: (5, 1)
            case .syntaxError: (5, 2)
            case .tooManyRecipients: (5, 3)
            case .invalidArguments: (5, 4)
            case .authLineTooLong: (5, 6)
            case .otherMedia: (6, 0)
            case .nonASCIIAddress: (6, 7)
            case .otherSecurity: (7, 0)
            case .notAuthorized: (7, 1)
            case .invalidCredentials: (7, 8)
            case .mechanismTooWeak: (7, 9)
            case .encryptionRequired: (7, 11)
            case .passwordTransition: (7, 12)
            }
        }
    }

    /// The class digit: 2, 4 or 5.
    public var classDigit: Int {
        switch self {
        case .success: 2
        case .persistentTransient: 4
        case .permanent: 5
        }
    }

    /// The subject and detail.
    public var subject: Subject {
        switch self {
        case .success(let s), .persistentTransient(let s), .permanent(let s): s
        }
    }

    /// `2.1.5`.
    public var description: String {
        let (subject, detail) = subject.numbers
        return "\(classDigit).\(subject).\(detail)"
    }
}
