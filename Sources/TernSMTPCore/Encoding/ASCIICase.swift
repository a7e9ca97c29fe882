extension StringProtocol {
    /// The text with ASCII letters lower-cased and every other octet unchanged: the case
    /// folding of SMTP keywords, domain names and Tern's account names, which must not depend
    /// on the locale or on Unicode case mappings.
    public var asciiLowercased: String {
        String(decoding: utf8.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}
