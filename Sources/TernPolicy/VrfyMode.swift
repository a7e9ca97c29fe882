/// How `VRFY` answers for addresses in the local domains (`local.vrfy` in CONFIG.md).
public enum VrfyMode: String, Sendable, Hashable, CaseIterable {
    /// Say what is known about the address: 250, 251, 551, 550 or 450.
    case verify
    /// Never say what a valid address is: every valid local address (mailbox, alias, forward)
    /// gets 252; refusals stay as RCPT gives them (SPEC.md §3).
    case never
}
