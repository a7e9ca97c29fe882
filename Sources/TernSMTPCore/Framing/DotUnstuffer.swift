import NIOCore

/// Un-stuffs DATA text and finds its end, `CRLF.CRLF` only (RFC 5321 §4.5.2, §4.1.1.4).
///
/// "Line start" means after CRLF, or the first octet after the 354. A bare LF or CR never
/// starts a line, so `<LF>.<LF>` and the other fake terminators of docs/behaviour.md §7.3 pass through
/// as content. Output is always a slice of the input (no copy): a run stops before a stuffed
/// dot, and octets that can't be judged yet (a CR or a leading dot at the end of the buffer)
/// stay in the buffer until more arrive.
struct DotUnstuffer: Sendable {
    enum Output: Equatable {
        /// Un-stuffed text, and the octets of the stream it stands for (a dropped stuffing dot
        /// before it counts).
        case data(ByteBuffer, consumed: Int)
        case end
        case needMore
    }

    private var atLineStart = true

    /// Consumes octets of `buffer` and returns un-stuffed text, the end, or nothing yet.
    mutating func decode(_ buffer: inout ByteBuffer) -> Output {
        let (skip, length, end) = buffer.withUnsafeReadableBytes { scan($0) }
        if end {
            buffer.moveReaderIndex(forwardBy: 3)
            return .end
        }
        buffer.moveReaderIndex(forwardBy: skip)
        guard length > 0 else { return .needMore }
        return .data(buffer.readSlice(length: length)!, consumed: skip + length)
    }

    /// Finds the next run of text: octets to skip (a stuffed dot), the run's length, or the end.
    private mutating func scan(_ view: UnsafeRawBufferPointer) -> (skip: Int, length: Int, end: Bool) {
        let cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n"), dot = UInt8(ascii: ".")
        let end = view.count
        var runStart = 0
        var index = 0
        scan: while index < end {
            if atLineStart && view[index] == dot {
                guard index + 1 < end else { break scan }
                if view[index + 1] == cr {
                    guard index + 2 < end else { break scan }
                    if view[index + 2] == lf {
                        if index > runStart { break scan }
                        return (0, 0, true)
                    }
                }
                if index > runStart { break scan }
                // The stuffed dot is dropped.
                index += 1
                runStart = index
                atLineStart = false
                continue
            }
            if view[index] == cr {
                guard index + 1 < end else { break scan }
                if view[index + 1] == lf {
                    index += 2
                    atLineStart = true
                    continue
                }
            }
            index += 1
            atLineStart = false
        }
        return (runStart, index - runStart, false)
    }
}
