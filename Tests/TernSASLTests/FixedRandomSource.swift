import TernSASL

/// A random source that replays given octets, cycling, so tests can reproduce published exchanges.
struct FixedRandomSource: RandomSource {
    private let octets: [UInt8]
    private var position = 0

    init(_ octets: [UInt8]) {
        precondition(!octets.isEmpty)
        self.octets = octets
    }

    init(_ text: String) {
        self.init(Array(text.utf8))
    }

    mutating func bytes(count: Int) -> [UInt8] {
        (0..<count).map { _ in
            defer { position = (position + 1) % octets.count }
            return octets[position]
        }
    }
}
