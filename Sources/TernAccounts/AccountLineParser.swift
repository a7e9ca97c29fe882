import TernSASL
import TernSMTPCore

/// Reads one account line of ``AccountFileFormat``.
package enum AccountLineParser {
    /// What is wrong with a line.
    package struct Failure: Error {
        let reason: String
    }

    /// The account on `line`.
    package static func account(_ line: Substring) throws(Failure) -> Account {
        let fields = line.split(separator: " ", omittingEmptySubsequences: false)
        guard let name = fields.first, !name.isEmpty else { throw Failure(reason: "missing user name") }
        var scram: SCRAMKeys?
        var cramMD5Secret: [UInt8]?
        var legacy: LegacyHash?
        var allowCRAMMD5 = false
        var strongOnly = false
        var addresses: [String] = []
        var seen: Set<Substring> = []
        for field in fields.dropFirst() {
            let (key, value) = split(field)
            guard key == "address" || seen.insert(key).inserted else {
                throw Failure(reason: "field \(AccountStoreError.quote(String(key))) given twice")
            }
            switch (key, value) {
            case ("scram", let value?): scram = try scramKeys(value)
            case ("cram-md5", let value?): cramMD5Secret = try base64(value, of: "cram-md5")
            case ("legacy", let value?): legacy = try legacyHash(value)
            case ("address", let value?): addresses.append(String(value))
            case ("allow-cram-md5", nil): allowCRAMMD5 = true
            case ("strong-only", nil): strongOnly = true
            default: throw Failure(reason: "unknown field \(AccountStoreError.quote(String(key)))")
            }
        }
        guard scram != nil || legacy != nil else { throw Failure(reason: "neither scram nor legacy credentials") }
        let credentials = StoredCredentials(
            scram: scram, cramMD5Secret: cramMD5Secret, legacy: legacy, allowCRAMMD5: allowCRAMMD5, strongOnly: strongOnly)
        do {
            return try Account(name: String(name), credentials: credentials, addresses: addresses)
        } catch {
            throw Failure(reason: error.description)
        }
    }

    /// `key=value` as both parts, a flag as its name and nil.
    private static func split(_ field: Substring) -> (Substring, Substring?) {
        guard let equals = field.firstIndex(of: "=") else { return (field, nil) }
        return (field[..<equals], field[field.index(after: equals)...])
    }

    /// `iterations:salt:StoredKey:ServerKey`, the last three in base64.
    private static func scramKeys(_ value: Substring) throws(Failure) -> SCRAMKeys {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 4, let iterations = Int(parts[0]),
              let keys = try SCRAMKeys(salt: base64(parts[1], of: "scram"), iterations: iterations,
                                       storedKey: base64(parts[2], of: "scram"), serverKey: base64(parts[3], of: "scram"))
        else {
            throw Failure(reason: "bad scram field")
        }
        return keys
    }

    private static func legacyHash(_ value: Substring) throws(Failure) -> LegacyHash {
        let octets = try base64(value, of: "legacy")
        guard let text = String(validating: octets, as: UTF8.self), let hash = LegacyHash(text) else {
            throw Failure(reason: "bad legacy field")
        }
        return hash
    }

    private static func base64(_ value: Substring, of key: String) throws(Failure) -> [UInt8] {
        guard let octets = Base64.decode(value) else { throw Failure(reason: "bad base64 in the \(key) field") }
        return octets
    }
}
