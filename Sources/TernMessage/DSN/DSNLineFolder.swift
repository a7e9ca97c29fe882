/// Breaks long lines at spaces: header fields folded as RFC 5322 §2.2.3 describes (the line
/// break goes before a space, so unfolding restores the value), and text wrapped likewise.
///
/// Lines are kept to `width` octets where a space allows it. A word too long for the 998-octet
/// line limit of RFC 5322 §2.1.1 is cut, the only case where folding changes a value.
package enum DSNLineFolder {
    /// The longest line allowed, without its CRLF.
    package static let lineLimit = 998

    /// `line` broken into lines of at most `width` octets where possible; each line after the
    /// first starts with `continuation` and then the word that did not fit. The first line
    /// keeps at least its first two words, so a field name never stands alone.
    package static func fold(_ line: String, width: Int = 78, continuation: String = " ") -> [String] {
        var lines: [String] = []
        var current = ""
        var wordsOnLine = 0
        for word in line.split(separator: " ", omittingEmptySubsequences: false) {
            let minimumWords = lines.isEmpty ? 2 : 1
            if wordsOnLine >= minimumWords, current.utf8.count + 1 + word.utf8.count > width, !word.isEmpty {
                lines.append(current)
                current = continuation
                wordsOnLine = 0
            } else if wordsOnLine > 0 {
                current += " "
            }
            for piece in pieces(of: word, room: lineLimit - continuation.utf8.count) {
                if current.utf8.count + piece.utf8.count > lineLimit {
                    lines.append(current)
                    current = continuation
                }
                current += piece
            }
            wordsOnLine += 1
        }
        lines.append(current)
        return lines
    }

    // A word cut into pieces of at most `room` octets, at character boundaries.
    private static func pieces(of word: Substring, room: Int) -> [Substring] {
        guard word.utf8.count > room else { return [word] }
        var pieces: [Substring] = []
        var start = word.startIndex
        var octets = 0
        for index in word.indices {
            let size = word[index].utf8.count
            if octets + size > room {
                pieces.append(word[start..<index])
                start = index
                octets = 0
            }
            octets += size
        }
        pieces.append(word[start...])
        return pieces
    }
}
