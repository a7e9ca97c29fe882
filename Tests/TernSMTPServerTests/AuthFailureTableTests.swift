@testable import TernSMTPServer
import Testing

@Suite struct AuthFailureTableTests {
    @Test func failuresAddUpByAddressAndByAccountName() {
        var table = AuthFailureTable()
        #expect(table.record([.address("192.0.2.1"), .account("bob")]) == 1)
        // The same name from another address: the name's count decides.
        #expect(table.record([.address("192.0.2.2"), .account("bob")]) == 2)
        // Another name from the first address: the address's count decides.
        #expect(table.record([.address("192.0.2.1"), .account("carol")]) == 2)
        table.clear([.address("192.0.2.1"), .account("bob")])
        #expect(table.failures(.address("192.0.2.1")) == 0 && table.failures(.account("bob")) == 0)
        #expect(table.failures(.address("192.0.2.2")) == 1 && table.failures(.account("carol")) == 1)
    }

    @Test func aFullTableForgetsTheLeastRecentNotEveryone() {
        var table = AuthFailureTable(capacity: 8)
        for _ in 0..<3 { _ = table.record([.address("192.0.2.99")]) }
        for n in 0..<4 { _ = table.record([.address("198.51.100.\(n)")]) }
        _ = table.record([.address("192.0.2.99")])
        for n in 4..<8 { _ = table.record([.address("198.51.100.\(n)")]) }
        // Nine keys in a table of eight: the two least recently failed are forgotten.
        #expect(table.count == 7)
        #expect(table.failures(.address("192.0.2.99")) == 4, "a client still guessing keeps its count")
        #expect(table.failures(.address("198.51.100.0")) == 0 && table.failures(.address("198.51.100.1")) == 0)
        #expect(table.failures(.address("198.51.100.7")) == 1)
    }
}
