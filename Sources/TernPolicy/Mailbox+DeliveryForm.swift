import TernSMTPCore

extension Mailbox {
    /// The mailbox with local part and domain lower-cased, as local delivery names its Maildir.
    var deliveryForm: Mailbox {
        let lowered: Domain = switch domain {
        case .name(let name): .name(name.lowercased())
        case .addressLiteral(let literal): .addressLiteral(literal.lowercased())
        }
        return Mailbox(localPart: localPart.lowercased(), domain: lowered)
    }
}
