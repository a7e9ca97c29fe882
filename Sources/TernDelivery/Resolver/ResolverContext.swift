import CResolv
import Glibc
import TernSMTPCore

/// One glibc resolver state (`struct __res_state`) for one lookup on one thread: set up by
/// `res_ninit` from /etc/resolv.conf, then given the configured servers and timing; closed
/// with `res_nclose` when it goes out of scope.
struct ResolverContext: ~Copyable {
    /// Room for the largest DNS message (over TCP).
    private static let answerCapacity = 65_535

    private let state: UnsafeMutablePointer<__res_state>

    init(_ configuration: ResolverConfiguration) throws(DNSFailure) {
        state = try Self.open(configuration)
    }

    deinit {
        tern_res_nclose(state)
        state.deallocate()
    }

    /// The answer to the class IN query for `name` and `type`, or nil when the name exists but
    /// has no such records (NODATA).
    ///
    /// - Throws: `.nonexistentDomain` for NXDOMAIN or a name no DNS query can carry;
    ///   `.temporary` for SERVFAIL, REFUSED, a timeout, no reachable server, or any other error.
    func query(_ name: String, type: ns_type) throws(DNSFailure) -> DNSAnswer? {
        try Self.checkSyntax(name)
        var message = [UInt8](repeating: 0, count: Self.answerCapacity)
        let length = message.withUnsafeMutableBufferPointer { buffer in
            res_nquery(state, name, Int32(ns_c_in.rawValue), Int32(type.rawValue), buffer.baseAddress, Int32(buffer.count))
        }
        let error = errno
        if length >= 0 {
            return DNSAnswer(name: name, message: Array(message.prefix(Int(length))))
        }
        switch tern_res_h_errno(state) {
        case HOST_NOT_FOUND: throw .nonexistentDomain(name)
        case NO_DATA: return nil
        case TRY_AGAIN: throw .temporary("\(name): no answer from the name servers (server failure or timeout)")
        case NO_RECOVERY: throw .temporary("\(name): the name servers refused the query or could not answer it")
        default: throw .temporary("\(name): \(String(cString: strerror(error)))")
        }
    }

    /// Refuses names that cannot be put into a query (empty, a NUL, a label over 63 or a name
    /// over 255 octets): no such domain can exist, so the failure is permanent, where
    /// `res_nquery` would report it like a server failure.
    private static func checkSyntax(_ name: String) throws(DNSFailure) {
        var wire = [UInt8](repeating: 0, count: Int(NS_MAXCDNAME))
        guard !name.isEmpty, !name.utf8.contains(0), ns_name_pton(name, &wire, wire.count) >= 0 else {
            throw .nonexistentDomain(name)
        }
    }

    private static func open(_ configuration: ResolverConfiguration) throws(DNSFailure) -> UnsafeMutablePointer<__res_state> {
        let state = UnsafeMutablePointer<__res_state>.allocate(capacity: 1)
        state.initialize(to: __res_state())
        guard tern_res_ninit(state) == 0 else {
            let reason = String(cString: strerror(errno))
            state.deallocate()
            throw .temporary("the resolver could not read its configuration: \(reason)")
        }
        state.pointee.retrans = configuration.timeoutSeconds
        state.pointee.retry = configuration.attempts
        // UDP first (TCP only for a truncated answer), and never reload resolv.conf over the
        // servers set here.
        state.pointee.options &= ~UInt(RES_USEVC)
        state.pointee.options |= UInt(RES_NORELOAD)
        if !configuration.servers.isEmpty {
            tern_res_clear_servers(state)
            for server in configuration.servers {
                let family = server.address.isIPv4 ? AF_INET : AF_INET6
                let added = server.address.bytes.withUnsafeBytes { octets in
                    tern_res_add_server(state, family, octets.baseAddress, server.port)
                }
                guard added == 0 else {
                    tern_res_nclose(state)
                    state.deallocate()
                    throw .temporary("the name server list could not be set up")
                }
            }
        }
        return state
    }
}
