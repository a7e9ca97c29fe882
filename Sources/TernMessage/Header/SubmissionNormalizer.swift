/// Turns the text a local program writes to `sendmail` into message text with CRLF line ends,
/// chunk by chunk, as `/usr/sbin/sendmail` reads it:
/// - a line ends at LF, with or without a CR before it; the stored line ends in CRLF, and a
///   last line without an end gets one (a CR alone at the very end counts as a line end);
/// - a CR not followed by LF is kept as text;
/// - unless dots are ignored (`-i`, `-oi`), a line holding a single `.` ends the input and is
///   not stored; with them it is text like any other.
///
/// Nothing is held back across chunks but a CR and a `.` whose meaning the next byte decides.
package struct SubmissionNormalizer {
    private static let carriageReturn = UInt8(ascii: "\r")
    private static let lineFeed = UInt8(ascii: "\n")
    private static let dot = UInt8(ascii: ".")

    private let dotEndsInput: Bool
    private var atLineStart = true
    private var heldCarriageReturn = false
    private var heldDot = false
    /// A line with a single `.` ended the input: everything after it is ignored.
    package private(set) var ended = false

    /// A normalizer; `ignoreDots` is sendmail's `-i`.
    package init(ignoreDots: Bool) {
        dotEndsInput = !ignoreDots
    }

    /// The text to store for the next chunk of input.
    package mutating func normalize(_ chunk: UnsafeRawBufferPointer) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(chunk.count + chunk.count / 16 + 2)
        for byte in chunk {
            if ended { break }
            if heldCarriageReturn {
                heldCarriageReturn = false
                if byte == Self.lineFeed {
                    endLine(&output)
                    continue
                }
                releaseDot(&output)
                output.append(Self.carriageReturn)
                atLineStart = false
            }
            switch byte {
            case Self.carriageReturn:
                heldCarriageReturn = true
            case Self.lineFeed:
                endLine(&output)
            case Self.dot where atLineStart && dotEndsInput:
                heldDot = true
                atLineStart = false
            default:
                releaseDot(&output)
                output.append(byte)
                atLineStart = false
            }
        }
        return output
    }

    /// The text to store for `chunk`.
    package mutating func normalize(_ chunk: [UInt8]) -> [UInt8] {
        chunk.withUnsafeBytes { normalize($0) }
    }

    /// What remains at the end of the input: the end of an unfinished last line.
    package mutating func finish() -> [UInt8] {
        var output: [UInt8] = []
        guard !ended else { return output }
        if heldCarriageReturn || heldDot || !atLineStart {
            heldCarriageReturn = false
            endLine(&output)
        }
        return output
    }

    private mutating func endLine(_ output: inout [UInt8]) {
        if heldDot {
            heldDot = false
            ended = true
            return
        }
        output.append(Self.carriageReturn)
        output.append(Self.lineFeed)
        atLineStart = true
    }

    private mutating func releaseDot(_ output: inout [UInt8]) {
        guard heldDot else { return }
        heldDot = false
        output.append(Self.dot)
    }
}
