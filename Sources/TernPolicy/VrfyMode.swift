/// How `VRFY` answers for addresses in the local domains (`local.vrfy` in docs/configuration.md).
package enum VrfyMode: String, Sendable, Hashable, CaseIterable {
    /// Say what is known about the address: 250, 251, 551, 550 or 450.
    case verify
    /// Never reveal anything about local users: every local address gets 252.
    case never
}
