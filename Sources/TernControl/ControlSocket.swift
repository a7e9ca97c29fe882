import Foundation
package import NIOCore

/// Where the control socket lives and how its lines are coded (`tern queue`, docs/configuration.md
/// "Command line").
///
/// A connection carries one request and one response, each a line of JSON ending in `\n`:
/// ``ControlRequest`` from the client, ``ControlResponse`` from the server. Dates are ISO 8601.
package enum ControlSocket {
    /// The longest request line the server reads, without its `\n`. A request names one
    /// command, one queue id and at most one domain, so this is far more than enough.
    package static let requestLengthLimit = 4_096
    /// The longest response line the client reads, without its `\n`: room for a `list` of about
    /// a million messages.
    package static let responseLengthLimit = 256 * 1_024 * 1_024

    /// The control socket of a data directory: `<dataDirectory>/control.sock`.
    package static func path(dataDirectory: String) -> String {
        dataDirectory + "/control.sock"
    }

    /// `value` as compact JSON, a line without its `\n`: JSON escapes every control character
    /// inside strings.
    package static func encode(_ value: some Encodable) throws -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return ByteBuffer(bytes: try encoder.encode(value))
    }

    /// The value of type `type` in one line read from the socket (without its `\n`).
    package static func decode<Value: Decodable>(_ type: Value.Type, from line: ByteBuffer) throws -> Value {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(type, from: Data(line.readableBytesView))
    }
}
