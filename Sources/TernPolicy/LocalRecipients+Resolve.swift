package import TernSMTPCore

extension LocalRecipients {
    /// The answer to `RCPT TO:<path>`.
    ///
    /// - Parameters:
    ///   - path: the forward path; `<Postmaster>` means `postmaster@<primary domain>`.
    ///   - relayAllowed: whether this client may send to domains that are not local
    ///     (authenticated, or a relay network).
    /// - Returns: the verdict; see ``LocalRecipients`` for the order the tables are consulted in.
    package func resolve(_ path: ForwardPath, relayAllowed: Bool) -> RecipientVerdict {
        let mailbox: Mailbox
        switch path {
        case .postmaster: mailbox = postmasterMailbox
        case .mailbox(let given): mailbox = given
        }
        guard isLocal(mailbox.domain) else {
            return relayAllowed || holdDomains.isHeld(mailbox.domain) ? .accept([.remote(mailbox)]) : .relayDenied
        }
        let key = MailboxKey(mailbox)
        switch entry(for: key, allowingAlias: true) {
        case .relocated(let target):
            return .relocated(target)
        case .disabled:
            return .disabled
        case .unavailable:
            return .unavailable
        case .forward(let target):
            return .forward(target)
        case .alias(let members):
            let expansion = AliasExpansion(root: key, members: members, in: self)
            if !expansion.targets.isEmpty { return .accept(expansion.targets) }
            if key.isPostmaster { return .accept([.local(postmasterMailbox)]) }
            return expansion.sawUnavailable ? .unavailable : .unknown
        case .mailbox:
            return .accept([.local(mailbox.deliveryForm)])
        case .postmaster:
            return .accept([.local(postmasterMailbox)])
        case .unknown:
            return .unknown
        }
    }

    /// The answer to `VRFY` for `mailbox`; the caller turns a bare `VRFY user` into
    /// `user@<primaryDomain>`.
    ///
    /// In ``VrfyMode/never`` mode every address in a local domain gets `.cannotVerify`, whatever
    /// the tables say, so that VRFY reveals nothing about local users.
    ///
    /// - Parameters:
    ///   - mailbox: the address asked about.
    ///   - relayAllowed: whether this client may send to domains that are not local.
    package func verify(_ mailbox: Mailbox, relayAllowed: Bool) -> VerifyVerdict {
        guard isLocal(mailbox.domain) else {
            return relayAllowed || holdDomains.isHeld(mailbox.domain) ? .cannotVerify : .relayDenied
        }
        guard vrfyMode == .verify else { return .cannotVerify }
        switch resolve(.mailbox(mailbox), relayAllowed: relayAllowed) {
        case .accept: return .local(mailbox.deliveryForm)
        case .forward(let target): return .forward(target)
        case .relocated(let target): return .relocated(target)
        case .unknown: return .unknown
        case .unavailable: return .unavailable
        case .disabled: return .disabled
        case .relayDenied: return .relayDenied
        }
    }
}
