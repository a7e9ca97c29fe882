import Foundation

/// Maps a domain or a local part to one directory name that cannot leave the mail root.
///
/// The name is put in Unicode normalization form C and lower-cased, so that names the
/// recipient tables take as equal (canonically equivalent, as Swift compares strings) share
/// one folder; `/`, `%`, NUL and other control characters are written `%XX`, and so is a
/// leading dot, so `.`, `..` and hidden names are impossible. Distinct mailboxes never share a
/// folder.
enum MaildirFolderName {
    /// The longest file name most file systems accept.
    private static let maximumLength = 255
    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// The directory name for `text`, or nil when it would be longer than a file name may be.
    static func make(_ text: String) -> String? {
        var name: [UInt8] = []
        for byte in text.precomposedStringWithCanonicalMapping.lowercased().utf8 {
            let needsEscape =
                byte < 0x20 || byte == 0x7F || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "%")
                || (name.isEmpty && byte == UInt8(ascii: "."))
            if needsEscape {
                name.append(contentsOf: [UInt8(ascii: "%"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]])
            } else {
                name.append(byte)
            }
        }
        // The empty local part ("" @ domain) is legal in SMTP but not as a file name; a lone
        // "%" cannot come from any other input, since every escape has two hex digits.
        if name.isEmpty { name = [UInt8(ascii: "%")] }
        return name.count <= maximumLength ? String(decoding: name, as: UTF8.self) : nil
    }
}
