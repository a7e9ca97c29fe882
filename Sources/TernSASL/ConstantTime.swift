/// Comparison of secrets whose running time does not depend on where the inputs differ.
enum ConstantTime {
    /// Whether `lhs` and `rhs` hold the same octets. Only the lengths, which are not secret,
    /// may end the comparison early.
    static func equal(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}
