public import NIOCore

/// Checks message text against docs/behaviour.md §7.3 as it streams by: line length, bare CR or LF,
/// size, and the number of `Received:` header fields. Fed un-stuffed DATA text or BDAT chunks.
public struct ContentInspector: Sendable {
    /// Faults in the order they are reported when several occur (docs/behaviour.md §7.3 "Several faults").
    public struct Faults: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let lineTooLong = Faults(rawValue: 1)
        public static let bareLineEnding = Faults(rawValue: 2)
        public static let tooBig = Faults(rawValue: 4)
        public static let tooManyHops = Faults(rawValue: 8)
    }

    private let sizeLimit: Int
    private(set) public var faults: Faults = []
    /// Octets seen so far.
    private(set) public var size = 0
    private var previousCR = false
    private var lineLength = 0
    private var inHeader = true
    private var received = 0
    private var headerPrefix: [UInt8] = []

    private static let receivedPrefix = Array("received:".utf8)

    public init(sizeLimit: Int) {
        self.sizeLimit = sizeLimit
        headerPrefix.reserveCapacity(Self.receivedPrefix.count)
    }

    /// True once the message can no longer be accepted; later text need not be stored.
    public var isRefused: Bool { !faults.isEmpty }

    /// Inspects the next octets of the message.
    public mutating func inspect(_ bytes: ByteBuffer) {
        size += bytes.readableBytes
        if size > sizeLimit { faults.insert(.tooBig) }
        bytes.withUnsafeReadableBytes { inspect($0) }
    }

    private mutating func inspect(_ bytes: UnsafeRawBufferPointer) {
        let cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
        for byte in bytes {
            if previousCR && byte != lf { faults.insert(.bareLineEnding) }
            lineLength += 1
            if lineLength > SMTPDefaults.textLineLimit { faults.insert(.lineTooLong) }
            if byte == lf {
                if !previousCR { faults.insert(.bareLineEnding) }
                endOfLine()
            } else if inHeader && byte != cr && headerPrefix.count < Self.receivedPrefix.count && lineLength == headerPrefix.count + 1 {
                headerPrefix.append(byte | 0x20)
            }
            previousCR = byte == cr
        }
    }

    private mutating func endOfLine() {
        if inHeader {
            if lineLength <= 2 {
                inHeader = false
            } else if headerPrefix == Self.receivedPrefix {
                received += 1
                if received > SMTPDefaults.maximumHops { faults.insert(.tooManyHops) }
            }
            headerPrefix.removeAll(keepingCapacity: true)
        }
        lineLength = 0
    }

    /// The reply that refuses the message, if any, once all text is in. `requireFinalCRLF`:
    /// BDAT text must end with CRLF.
    public func verdict(requireFinalCRLF: Bool) -> Reply? {
        var faults = faults
        if previousCR || (requireFinalCRLF && lineLength > 0) { faults.insert(.bareLineEnding) }
        if faults.contains(.lineTooLong) { return .lineTooLong }
        if faults.contains(.bareLineEnding) { return .bareLineEnding }
        if faults.contains(.tooBig) { return .messageTooBig }
        if faults.contains(.tooManyHops) { return .tooManyHops }
        return nil
    }
}
