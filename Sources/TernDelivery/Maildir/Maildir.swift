import TernSMTPCore

/// The Maildir of one mailbox, `<mailRoot>/<domain>/<localpart>`.
struct Maildir: Sendable {
    /// `<mailRoot>/<domain>/<localpart>`.
    let path: String
    /// `<mailRoot>/<domain>`.
    let domain: String

    /// The Maildir of `mailbox` below `mailRoot`; throws when the mailbox can't name a folder.
    init(of mailbox: Mailbox, below mailRoot: String) throws(MaildirDeliveryError) {
        guard let domainFolder = MaildirFolderName.make(mailbox.domain.normalized),
            let userFolder = MaildirFolderName.make(mailbox.localPart)
        else { throw MaildirDeliveryError.unusableMailboxName(mailbox.description) }
        domain = "\(mailRoot)/\(domainFolder)"
        path = "\(domain)/\(userFolder)"
    }

    /// Every folder from the mail root down, outermost first.
    func folders(below mailRoot: String) -> [String] {
        [mailRoot, domain, path, "\(path)/tmp", "\(path)/new", "\(path)/cur"]
    }
}
