/// The operating system's cryptographically secure generator (`SystemRandomNumberGenerator`).
public struct SystemRandomSource: RandomSource {
    /// A source backed by the system generator.
    public init() {}

    /// Returns `count` octets from the system generator.
    public mutating func bytes(count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}
