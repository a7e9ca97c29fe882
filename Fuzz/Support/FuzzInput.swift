/// A fuzz input read front to back: the first octets choose settings, the rest is the data.
/// Reading past the end yields zeros and empty slices, so every input is usable.
public struct FuzzInput {
    private let bytes: [UInt8]
    private var offset = 0

    /// The input `libFuzzer` hands to `LLVMFuzzerTestOneInput`.
    public init(_ data: UnsafePointer<UInt8>?, _ size: Int) {
        bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    }

    /// Whether every octet was read.
    public var isAtEnd: Bool { offset >= bytes.count }

    /// The next octet, or 0 past the end.
    public mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// The next `count` octets (fewer at the end).
    public mutating func take(_ count: Int) -> ArraySlice<UInt8> {
        let end = min(bytes.count, offset + max(0, count))
        defer { offset = end }
        return bytes[offset..<end]
    }

    /// Everything not read yet.
    public mutating func rest() -> ArraySlice<UInt8> {
        take(bytes.count - offset)
    }
}

/// Stops the process when an invariant of the code under test does not hold: libFuzzer saves
/// the input as a crash, the replayer exits non-zero.
public func require(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID,
                    line: UInt = #line) {
    if !condition { fatalError(message(), file: file, line: line) }
}
