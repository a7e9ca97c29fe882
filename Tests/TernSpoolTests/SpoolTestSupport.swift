import Logging
import NIOCore
import NIOPosix
import TernIO
import TernMessage
import TernSpool
import TernTestSupport
import TernSMTPCore

/// A logger that drops everything, so test output stays readable.
let quietLogger = Logger(label: "tern.test") { _ in SwiftLogNoOpLogHandler() }

/// A spool in a fresh temporary directory, recovered and ready.
func makeSpool(
    in directory: TemporaryDirectory, operations: any FileOperations = SystemFileOperations()
) async throws -> FileSpool {
    let spool = FileSpool(
        root: directory.path + "/spool", threadPool: .singleton, logger: quietLogger, operations: operations)
    _ = try await spool.recover()
    return spool
}

/// The whole body, for comparing small test bodies.
func contents(of body: SpoolBody) async throws -> [UInt8] {
    var bytes: [UInt8] = []
    for try await chunk in body {
        bytes.append(contentsOf: chunk.readableBytesView)
    }
    return bytes
}

/// Writes `body` through a new writer and commits `envelope`; returns the queue id.
func store(_ body: [UInt8], _ envelope: Envelope, in spool: any SpoolStore) async throws -> QueueID {
    let writer = try await spool.beginMessage()
    try await writer.append(ByteBuffer(bytes: body))
    try await writer.commit(envelope)
    return writer.id
}
