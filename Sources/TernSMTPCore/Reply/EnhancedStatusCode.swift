/// An RFC 3463 enhanced status code, `class.subject.detail`: the codes Tern sends, the codes a
/// server's owner puts in its own replies, and the codes peers send.
///
/// The codes Tern's reply catalogue uses are the static constants of ``Subject``, so the
/// catalogue reads `.permanent(.notAuthorized)`; any other registered or private code is made
/// from its numbers (RFC 5248's registry grows, and peers send private details):
///
///     Reply(550, EnhancedStatusCode(permanent: 7, 26), "Multiple authentication checks failed")
///
/// SeeAlso: RFC 3463 §2, RFC 5248 (registry), RFC 2034, RFC 4954 §6, RFC 7504.
public struct EnhancedStatusCode: Hashable, Sendable, CustomStringConvertible {
    /// The class digit: 2 (success), 4 (persistent transient failure) or 5 (permanent failure).
    public let classDigit: Int
    /// The subject, 0 to 999.
    public let subject: Int
    /// The detail, 0 to 999.
    public let detail: Int

    /// A code; `classDigit` must be 2, 4 or 5, `subject` and `detail` at most three digits.
    public init(_ classDigit: Int, _ subject: Int, _ detail: Int) {
        precondition([2, 4, 5].contains(classDigit) && (0...999).contains(subject) && (0...999).contains(detail),
                      "not an enhanced status code: \(classDigit).\(subject).\(detail)")
        self.classDigit = classDigit
        self.subject = subject
        self.detail = detail
    }

    /// A success code `2.subject.detail`.
    public init(success subject: Int, _ detail: Int) {
        self.init(2, subject, detail)
    }

    /// A persistent transient failure `4.subject.detail`: the client may try again later.
    public init(transient subject: Int, _ detail: Int) {
        self.init(4, subject, detail)
    }

    /// A permanent failure `5.subject.detail`.
    public init(permanent subject: Int, _ detail: Int) {
        self.init(5, subject, detail)
    }

    /// Parses the whole of `text` as a status code; nil when it is not one.
    ///
    ///     status-code = class "." subject "." detail
    ///     class       = "2" / "4" / "5"
    ///     subject     = 1*3digit
    ///     detail      = 1*3digit
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 1, let classDigit = Int(parts[0]), [2, 4, 5].contains(classDigit),
              let subject = Self.number(parts[1]), let detail = Self.number(parts[2]) else { return nil }
        self.init(classDigit, subject, detail)
    }

    private static func number(_ digits: some StringProtocol) -> Int? {
        guard (1...3).contains(digits.utf8.count), digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return Int(digits)
    }

    /// `2.subject.detail`.
    public static func success(_ subject: Subject) -> EnhancedStatusCode {
        EnhancedStatusCode(2, subject.subject, subject.detail)
    }

    /// `4.subject.detail`.
    public static func persistentTransient(_ subject: Subject) -> EnhancedStatusCode {
        EnhancedStatusCode(4, subject.subject, subject.detail)
    }

    /// `5.subject.detail`.
    public static func permanent(_ subject: Subject) -> EnhancedStatusCode {
        EnhancedStatusCode(5, subject.subject, subject.detail)
    }

    /// `2.1.5`.
    public var description: String { "\(classDigit).\(subject).\(detail)" }

    /// The `subject.detail` part of a code, whatever its class.
    public struct Subject: Hashable, Sendable {
        /// The subject, 0 to 999.
        public let subject: Int
        /// The detail, 0 to 999.
        public let detail: Int

        /// `subject.detail`; each at most three digits.
        public init(_ subject: Int, _ detail: Int) {
            precondition((0...999).contains(subject) && (0...999).contains(detail),
                          "not a subject and detail: \(subject).\(detail)")
            self.subject = subject
            self.detail = detail
        }

        /// x.0.0 Other undefined status.
        public static let undefined = Subject(0, 0)
        /// x.1.0 Other address status (MAIL accepted: 2.1.0).
        public static let otherAddress = Subject(1, 0)
        /// x.1.1 Bad destination mailbox address.
        public static let badDestinationMailbox = Subject(1, 1)
        /// x.1.3 Bad destination mailbox address syntax.
        public static let badDestinationSyntax = Subject(1, 3)
        /// x.1.5 Destination address valid.
        public static let destinationValid = Subject(1, 5)
        /// x.1.6 Destination mailbox has moved.
        public static let mailboxMoved = Subject(1, 6)
        /// x.1.7 Bad sender's mailbox address syntax.
        public static let badSenderSyntax = Subject(1, 7)
        /// x.2.0 Other or undefined mailbox status.
        public static let otherMailbox = Subject(2, 0)
        /// x.2.1 Mailbox disabled, not accepting messages.
        public static let mailboxDisabled = Subject(2, 1)
        /// x.3.0 Other or undefined mail system status.
        public static let otherMailSystem = Subject(3, 0)
        /// x.3.1 Mail system full.
        public static let mailSystemFull = Subject(3, 1)
        /// x.3.2 System not accepting network messages.
        public static let notAcceptingMessages = Subject(3, 2)
        /// x.3.4 Message too big for system.
        public static let messageTooBig = Subject(3, 4)
        /// x.4.2 Bad connection.
        public static let badConnection = Subject(4, 2)
        /// x.4.6 Routing loop detected.
        public static let routingLoop = Subject(4, 6)
        /// x.5.0 Other or undefined protocol status.
        public static let otherProtocol = Subject(5, 0)
        /// x.5.1 Invalid command.
        public static let invalidCommand = Subject(5, 1)
        /// x.5.2 Syntax error.
        public static let syntaxError = Subject(5, 2)
        /// x.5.3 Too many recipients.
        public static let tooManyRecipients = Subject(5, 3)
        /// x.5.4 Invalid command arguments.
        public static let invalidArguments = Subject(5, 4)
        /// x.5.6 Authentication exchange line is too long (RFC 4954).
        public static let authLineTooLong = Subject(5, 6)
        /// x.6.0 Other or undefined media error.
        public static let otherMedia = Subject(6, 0)
        /// x.6.7 Non-ASCII addresses not permitted for that sender/recipient (RFC 6531).
        public static let nonASCIIAddress = Subject(6, 7)
        /// x.7.0 Other or undefined security status.
        public static let otherSecurity = Subject(7, 0)
        /// x.7.1 Delivery not authorized, message refused.
        public static let notAuthorized = Subject(7, 1)
        /// x.7.8 Authentication credentials invalid (RFC 4954).
        public static let invalidCredentials = Subject(7, 8)
        /// x.7.9 Authentication mechanism is too weak (RFC 4954).
        public static let mechanismTooWeak = Subject(7, 9)
        /// x.7.11 Encryption required for requested authentication mechanism (RFC 4954).
        public static let encryptionRequired = Subject(7, 11)
        /// x.7.12 A password transition is needed (RFC 4954).
        public static let passwordTransition = Subject(7, 12)
    }
}
