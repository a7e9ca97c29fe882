import CResolv
import Glibc

/// A DNS response to one query, read with libresolv's `ns_initparse` and `ns_parserr`.
struct DNSAnswer {
    /// The name that was asked, for error messages.
    let name: String
    /// The whole response.
    let message: [UInt8]

    /// The MX records of the answer section. Hosts are lower-cased, without the trailing dot;
    /// the root (a null MX) is `""`.
    func mailExchangers() throws(DNSFailure) -> [MailExchanger] {
        try records(ofType: ns_t_mx) { message, record in
            // RDATA: a 16-bit preference, then the (possibly compressed) exchange name.
            guard record.rdlength >= 3, let rdata = record.rdata else { return nil }
            var host = [CChar](repeating: 0, count: Int(NS_MAXDNAME))
            let used = ns_name_uncompress(
                tern_ns_msg_base(message), tern_ns_msg_end(message), rdata + 2, &host, host.count)
            guard used >= 0, used + 2 == Int(record.rdlength) else { return nil }
            let text = host.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            return MailExchanger(preference: Int(ns_get16(rdata)), host: text == "." ? "" : text.lowercased())
        }
    }

    /// The addresses in the A (`ns_t_a`) or AAAA (`ns_t_aaaa`) records of the answer section,
    /// as text.
    func addresses(ofType type: ns_type) throws(DNSFailure) -> [String] {
        let (family, length) = type == ns_t_aaaa ? (AF_INET6, 16) : (AF_INET, 4)
        return try records(ofType: type) { _, record in
            guard Int(record.rdlength) == length, let rdata = record.rdata else { return nil }
            var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            guard inet_ntop(family, rdata, &text, socklen_t(text.count)) != nil else { return nil }
            return text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        }
    }

    /// `read` applied to each class IN record of `type` in the answer section (records the
    /// resolver followed through CNAMEs included). `read` returns nil for a malformed record,
    /// which makes the whole answer unusable.
    private func records<Value>(
        ofType type: ns_type, _ read: (UnsafePointer<ns_msg>, ns_rr) -> Value?
    ) throws(DNSFailure) -> [Value] {
        let malformed = DNSFailure.temporary("\(name): malformed answer from the name server")
        let result: Result<[Value], DNSFailure> = message.withUnsafeBufferPointer { buffer in
            var handle = ns_msg()
            guard ns_initparse(buffer.baseAddress, Int32(buffer.count), &handle) == 0 else { return .failure(malformed) }
            var values: [Value] = []
            for index in 0..<tern_ns_msg_count(&handle, ns_s_an) {
                var record = ns_rr()
                guard ns_parserr(&handle, ns_s_an, index, &record) == 0 else { return .failure(malformed) }
                guard UInt32(record.type) == type.rawValue, UInt32(record.rr_class) == ns_c_in.rawValue else { continue }
                guard let value = read(&handle, record) else { return .failure(malformed) }
                values.append(value)
            }
            return .success(values)
        }
        return try result.get()
    }
}
