extension UInt8 {
    /// The octet with ASCII `a`–`z` mapped to `A`–`Z`; other octets unchanged. Mechanism and
    /// scheme names compare ASCII-only, so no Unicode case mapping can make two names equal.
    var asciiUppercased: UInt8 {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) ? self - 32 : self
    }
}
