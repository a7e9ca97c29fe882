/// Command lines: the checks of docs/behaviour.md §0.4, then each command's own.
extension ServerSession {
    mutating func command(_ text: String) -> [ServerAction] {
        let line = SplitCommandLine(text)
        if !configuration.acceptMail && line.verb != .quit {
            return [.send(.noMail(host))]
        }
        if line.isEmpty { return send(.emptyCommand) }
        guard let verb = line.verb else { return send(.unknownCommand(line.verbText)) }
        if verb.isRefused { return send(.notImplemented) }
        if configuration.role == .odmr && !Self.onDemandRelay.contains(verb) { return send(.notImplementedOnODMR) }
        if configuration.role == .submission && !tlsActive && !Self.beforeTLS.contains(verb) {
            return send(.startTLSFirst)
        }
        let argument = line.argument
        switch verb {
        case .ehlo, .helo: return hello(verb, argument)
        case .mail: return mail(argument)
        case .rcpt: return rcpt(argument)
        case .data: return data(argument)
        case .bdat: return bdat(argument)
        case .rset:
            guard argument.isEmpty else { return send(.noParametersAllowed) }
            return endTransaction() + send(.resetOK)
        case .noop:
            return send(.ok)
        case .quit:
            guard argument.isEmpty else { return send(.noParametersAllowed) }
            return close(.closing(host))
        case .vrfy: return verify(argument)
        case .help: return help(argument)
        case .startTLS: return startTLS(argument)
        case .auth: return auth(argument)
        case .etrn: return etrn(argument)
        case .atrn: return atrn(argument)
        case .expn, .turn, .send, .soml, .saml: return send(.notImplemented)
        }
    }

    /// What `submission` accepts before TLS (docs/behaviour.md §0.3).
    static let beforeTLS: Set<Verb> = [.ehlo, .helo, .startTLS, .noop, .rset, .quit]

    /// What `odmr` accepts (docs/behaviour.md §0.3).
    static let onDemandRelay: Set<Verb> = [.ehlo, .helo, .auth, .atrn, .startTLS, .noop, .rset, .quit]

    private mutating func hello(_ verb: Verb, _ argument: String) -> [ServerAction] {
        guard let name = argument.split(separator: " ").first else {
            return send(.helloSyntax(verb.rawValue))
        }
        let ended = endTransaction()
        hello = Hello(name: String(name), extended: verb == .ehlo)
        if verb == .ehlo {
            return ended + send(.ehlo(host, client: String(name), keywords: extensionKeywords))
        }
        return ended + send(.helo(host, client: String(name)))
    }

    // Order (docs/behaviour.md §4): sequence, command syntax, parameter syntax, authentication,
    // parameter values, address, storage, size, sender ownership, TRANSID.
    private mutating func mail(_ argument: String) -> [ServerAction] {
        guard hello != nil else { return send(.sendHelloFirst) }
        guard transaction == nil else { return send(.nestedMail) }
        let command: MailCommand
        do throws(Reply) {
            command = try TransactionCommandParser.mail(argument)
        } catch {
            return send(error)
        }
        if configuration.requiresAuthentication && account == nil { return send(.authenticationRequired) }
        let path: ReversePath
        switch command.path {
        case .success(let p): path = p
        case .failure(.nonASCII): return send(.nonASCIIAddress)
        case .failure(.syntax): return send(.badSenderAddress)
        }
        phase = .awaiting(.sender(command.parameters, path))
        return [.ask(.sender(path, command.parameters))]
    }

    // Order (docs/behaviour.md §5): sequence, syntax, parameters, empty path, address syntax,
    // recipient limit, recipient table.
    private mutating func rcpt(_ argument: String) -> [ServerAction] {
        guard let current = transaction else { return send(.needMail) }
        transaction?.recipientsTried += 1
        let command: RcptCommand
        do throws(Reply) {
            command = try TransactionCommandParser.rcpt(argument, smtpUTF8: current.parameters.smtpUTF8)
        } catch {
            return send(error)
        }
        let path: ForwardPath
        switch command.path {
        case .success(let p): path = p
        case .failure(.nonASCII): return send(.nonASCIIAddress)
        case .failure(.syntax): return send(.badRecipientAddress)
        }
        guard current.recipients.count < configuration.recipientLimit else { return send(.tooManyRecipients) }
        phase = .awaiting(.recipient(AcceptedRecipient(path: path, parameters: command.parameters)))
        return [.ask(.recipient(path, command.parameters))]
    }

    private mutating func verify(_ argument: String) -> [ServerAction] {
        guard !argument.isEmpty else { return send(.verifySyntax) }
        var text = Substring(argument)
        if text.first == "<" {
            guard text.last == ">", text.count > 2 else { return send(.badRecipientAddress) }
            text = text.dropFirst().dropLast()
        } else if text.contains(" ") {
            return send(.verifySyntax)
        }
        let request: VerifyRequest
        do throws(AddressError) {
            if text.contains("@") {
                request = .mailbox(try AddressParser.pathContent(text, utf8: false))
            } else {
                let mailbox = try AddressParser.mailbox(text + "@localhost", utf8: false)
                request = .localPart(mailbox.localPart)
            }
        } catch .nonASCII {
            return send(.nonASCIIAddress)
        } catch {
            return send(.badRecipientAddress)
        }
        phase = .awaiting(.reply)
        return [.ask(.verify(request))]
    }

    // Order (docs/behaviour.md §12): TLS unavailable, argument, already active.
    private mutating func startTLS(_ argument: String) -> [ServerAction] {
        guard configuration.tlsAvailable && configuration.role != .smtps else { return send(.tlsNotAvailable) }
        guard argument.isEmpty else { return send(.noParametersAllowed) }
        guard !tlsActive else { return send(.tlsAlreadyActive) }
        let ended = endTransaction()
        phase = .startingTLS
        return ended + [.startTLS(.readyToStartTLS)]
    }

    /// TLS is up: the session starts over as after the greeting, without a new greeting; the
    /// count of failed AUTH attempts stays (docs/behaviour.md §12).
    public mutating func tlsStarted() -> [ServerAction] {
        guard case .startingTLS = phase else { preconditionFailure("no STARTTLS outstanding") }
        phase = .commands
        tlsActive = true
        hello = nil
        transaction = nil
        account = nil
        return []
    }

    // Order (docs/behaviour.md §13): EHLO seen, syntax, already authenticated, transaction open,
    // mechanism known, encryption, failure limit, exchange.
    private mutating func auth(_ argument: String) -> [ServerAction] {
        guard hello?.extended == true else { return send(.authNeedsEHLO) }
        let words = argument.split(separator: " ")
        guard (1...2).contains(words.count) else { return send(.authSyntax) }
        let mechanism = words[0].uppercased()
        if mechanism == "CRAM-MD5" && words.count == 2 { return send(.authSyntax) }
        guard account == nil else { return send(.alreadyAuthenticated) }
        guard transaction == nil else { return send(.authInTransaction) }
        guard Self.knownMechanisms.contains(mechanism),
              configuration.authMechanisms.isEmpty || configuration.authMechanisms.contains(mechanism) else {
            return send(.unknownMechanism)
        }
        let allowedInClear = !configuration.authRequiresTLS
            || configuration.role == .odmr && Self.onDemandMechanismsWithoutTLS.contains(mechanism)
        guard tlsActive || allowedInClear, !configuration.authMechanisms.isEmpty else {
            return send(.encryptionRequired)
        }
        guard authFailures < configuration.authFailureLimit else { return send(.temporaryAuthenticationFailure) }
        var initialResponse: [UInt8]?
        if words.count == 2 {
            if words[1] == "=" {
                initialResponse = []
            } else {
                guard let decoded = Base64.decode(words[1]) else { return send(.cannotDecodeResponse) }
                initialResponse = decoded
            }
        }
        phase = .authenticating
        return [.authenticate(mechanism: mechanism, initialResponse: initialResponse)]
    }

    mutating func authenticationResponse(_ line: String) -> [ServerAction] {
        if line == "*" { return [.authenticationAbandoned(.authenticationCancelled)] }
        guard let decoded = Base64.decode(line) else { return [.authenticationAbandoned(.cannotDecodeResponse)] }
        return [.authenticationResponse(decoded)]
    }

    /// The transport's mechanism moved the SASL exchange on.
    public mutating func authenticationStep(_ step: AuthenticationStep) -> [ServerAction] {
        guard case .authenticating = phase else { preconditionFailure("no AUTH exchange under way") }
        switch step {
        case .challenge(let bytes):
            return [.send(.challenge(bytes))]
        case .success(let name):
            phase = .commands
            account = name
            return send(.authenticationSucceeded)
        case .invalidCredentials:
            phase = .commands
            authFailures += 1
            return send(.invalidCredentials)
        case .mechanismTooWeak:
            phase = .commands
            return send(.mechanismTooWeak)
        case .transitionNeeded:
            phase = .commands
            return send(.passwordTransitionNeeded)
        case .temporaryFailure:
            phase = .commands
            return send(.temporaryAuthenticationFailure)
        case .abandoned(let reply):
            phase = .commands
            authFailures += 1
            return send(reply)
        }
    }

    static let knownMechanisms: Set<String> = ["PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"]
}
