import TernSMTPCore

/// The client-final message of SCRAM (RFC 5802 §7):
/// `"c=" base64 ",r=" nonce ["," extensions] ",p=" base64`.
struct SCRAMClientFinal {
    // GS2 header plus channel-binding data, of which Tern accepts none.
    let channelBinding: [UInt8]
    let nonce: String
    let proof: [UInt8]
    // Part of the AuthMessage.
    let withoutProof: String

    /// Parses `message`; `nil` when it breaks the grammar.
    init?(_ message: [UInt8]) {
        guard let text = String(validating: message, as: UTF8.self) else { return nil }
        let fields = text.split(separator: ",", omittingEmptySubsequences: false)
        guard fields.count >= 3, let last = fields.last, last.hasPrefix("p="),
              fields[0].hasPrefix("c="), fields[1].hasPrefix("r="),
              let channelBinding = Base64.decode(fields[0].dropFirst(2)),
              let proof = Base64.decode(last.dropFirst(2)),
              SCRAMClientFirst.isNonce(fields[1].dropFirst(2)),
              fields.dropFirst(2).dropLast().allSatisfy(SCRAMClientFirst.isExtension) else { return nil }
        self.channelBinding = channelBinding
        nonce = String(fields[1].dropFirst(2))
        self.proof = proof
        withoutProof = fields.dropLast().joined(separator: ",")
    }
}
