#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

extension User {
    /// Reads a new password without it ever being on the command line.
    enum PasswordReader {
        /// Why no password was read.
        struct Failure: Error, CustomStringConvertible {
            let description: String
        }

        /// One line of standard input, without its line end (`\n` or `\r\n`).
        static func standardInput() throws -> String {
            guard let line = try readLine(from: STDIN_FILENO, source: "standard input") else {
                throw Failure(description: "no password on standard input")
            }
            return try text(line)
        }

        /// Asks on the terminal twice with echo off, and insists on the same answer.
        static func terminal() throws -> String {
            let descriptor = open("/dev/tty", O_RDWR | O_CLOEXEC)
            guard descriptor >= 0 else {
                throw Failure(description: "no terminal to read the password from; use --password-stdin")
            }
            defer { close(descriptor) }
            var saved = termios()
            guard tcgetattr(descriptor, &saved) == 0 else {
                throw Failure(description: "cannot turn off echo on the terminal; use --password-stdin")
            }
            var silent = saved
            silent.c_lflag &= ~tcflag_t(ECHO)
            guard tcsetattr(descriptor, TCSAFLUSH, &silent) == 0 else {
                throw Failure(description: "cannot turn off echo on the terminal; use --password-stdin")
            }
            defer { _ = tcsetattr(descriptor, TCSAFLUSH, &saved) }
            let first = try prompt("Password: ", on: descriptor)
            let second = try prompt("Retype password: ", on: descriptor)
            guard first == second else { throw Failure(description: "the passwords do not match") }
            return first
        }

        private static func prompt(_ text: String, on descriptor: CInt) throws -> String {
            write(text, to: descriptor)
            let line = try readLine(from: descriptor, source: "the terminal")
            write("\n", to: descriptor)
            guard let line else { throw Failure(description: "no password entered") }
            return try self.text(line)
        }

        /// The password in `octets`, if it is UTF-8 text.
        private static func text(_ octets: [UInt8]) throws -> String {
            guard let password = String(validating: octets, as: UTF8.self) else {
                throw Failure(description: "the password is not UTF-8 text")
            }
            return password
        }

        /// The octets up to the next `\n` (a `\r` before it dropped); nil at end of input
        /// before any octet.
        private static func readLine(from descriptor: CInt, source: String) throws -> [UInt8]? {
            var line: [UInt8] = []
            var octet: UInt8 = 0
            while true {
                let count = read(descriptor, &octet, 1)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw Failure(description: "cannot read \(source): \(String(cString: strerror(errno)))")
                }
                if count == 0 { return line.isEmpty ? nil : line }
                if octet == UInt8(ascii: "\n") {
                    if line.last == UInt8(ascii: "\r") { line.removeLast() }
                    return line
                }
                line.append(octet)
            }
        }

        private static func write(_ text: String, to descriptor: CInt) {
            try? FileHandle(fileDescriptor: descriptor).write(contentsOf: Data(text.utf8))
        }
    }
}
