import Foundation
import NIOCore
import Testing
import TernMessage
import TernSMTPCore
import TernSpool
import TernTestSupport

/// What every `SpoolStore` does, run against the file spool and the PostgreSQL queue alike
/// (docs/architecture.md "The queue on PostgreSQL").
@Suite struct SpoolStoreTests {
    @Test(arguments: SpoolBackend.allCases) func aCommittedMessageReadsBack(_ backend: SpoolBackend) async throws {
        try await backend.withStorage { storage in
            try await storage.open { spool in
                let body = Array("Subject: hello\r\n\r\nHi Bob.\r\n".utf8)
                var envelope = SpoolFixtures.envelope()
                let writer = try await spool.beginMessage()
                try await writer.append(ByteBuffer(bytes: body.prefix(10)))
                try await writer.append(ByteBuffer(bytes: body.dropFirst(10)))
                #expect(writer.size == body.count)
                #expect(writer.textInMemory == ByteBuffer(bytes: body), "a small text waits in memory for its commit")
                try await writer.commit(envelope)
                envelope.id = writer.id
                envelope.size = body.count
                #expect(try await spool.envelope(writer.id) == envelope)
                #expect(try await contents(of: spool.openBody(writer.id)) == body)
                #expect(try await spool.all() == [envelope])
                await writer.abort()
                #expect(try await spool.all() == [envelope], "abort after commit changes nothing")
                await #expect(throws: SpoolError.writerFinished(writer.id)) {
                    try await writer.append(ByteBuffer(string: "x"))
                }
            }
        }
    }

    @Test(arguments: SpoolBackend.allCases) func aLargeBodyStreamsInAndOut(_ backend: SpoolBackend) async throws {
        try await backend.withStorage { storage in
            try await storage.open { spool in
                let chunk = 64 * 1024
                let total = 20 * 1024 * 1024 + 12_345
                let body = SpoolFixtures.body(count: total)
                let writer = try await spool.beginMessage()
                var offset = 0
                while offset < total {
                    try await writer.append(ByteBuffer(bytes: body[offset..<min(offset + chunk, total)]))
                    offset += chunk
                }
                #expect(writer.textInMemory == nil, "a large text is stored while it arrives")
                try await writer.commit(SpoolFixtures.envelope())
                #expect(try await spool.envelope(writer.id).size == total)
                for _ in 0..<2 {
                    var (size, largest) = (0, 0)
                    var read: [UInt8] = []
                    read.reserveCapacity(total)
                    for try await part in try await spool.openBody(writer.id) {
                        size += part.readableBytes
                        largest = max(largest, part.readableBytes)
                        read.append(contentsOf: part.readableBytesView)
                    }
                    #expect(size == total)
                    #expect(largest <= 256 * 1024, "the body is read in chunks, never whole")
                    #expect(CRC32.checksum(read) == CRC32.checksum(body))
                }
            }
            #expect(try await storage.strayTexts() == 0)
        }
    }

    @Test(arguments: SpoolBackend.allCases) func anAbortLeavesNothing(_ backend: SpoolBackend) async throws {
        try await backend.withStorage { storage in
            try await storage.open { spool in
                let writer = try await spool.beginMessage()
                try await writer.append(ByteBuffer(bytes: SpoolFixtures.body(count: 600_000)))
                #expect(try await storage.strayTexts() > 0, "stored while it arrives")
                await writer.abort()
                await writer.abort()
                #expect(try await storage.strayTexts() == 0)
                await #expect(throws: SpoolError.writerFinished(writer.id)) {
                    try await writer.commit(SpoolFixtures.envelope())
                }
                #expect(try await spool.all().isEmpty)
            }
        }
    }

    @Test(arguments: SpoolBackend.allCases) func aTextNeverCommittedIsGoneAfterARestart(_ backend: SpoolBackend) async throws {
        try await backend.withStorage { storage in
            var kept: [Envelope] = []
            try await storage.open { spool in
                let id = try await store(Array("kept\r\n".utf8), SpoolFixtures.envelope(), in: spool)
                kept = [try await spool.envelope(id)]
                let writer = try await spool.beginMessage()
                try await writer.append(ByteBuffer(bytes: SpoolFixtures.body(count: 600_000)))
                // The server stops here, before the commit: the client got no 250.
            }
            try await storage.open { spool in
                let all = try await spool.all()
                #expect(all == kept)
            }
            #expect(try await storage.strayTexts() == 0)
        }
    }

    @Test(arguments: SpoolBackend.allCases) func anUpdateReplacesTheEnvelope(_ backend: SpoolBackend) async throws {
        try await backend.withStorage { storage in
            var expected: Envelope?
            try await storage.open { spool in
                let id = try await store(Array("x\r\n".utf8), SpoolFixtures.envelope(), in: spool)
                var envelope = try await spool.envelope(id)
                envelope.recipients[0].status = .delivered(Date(timeIntervalSince1970: 1_795_940_000))
                envelope.recipients.append(
                    EnvelopeRecipient(
                        original: .postmaster, target: .remote(SpoolFixtures.mailbox("admin", "example.net")),
                        status: .deferred("connection refused")))
                envelope.attempts = 1
                envelope.nextAttempt = Date(timeIntervalSince1970: 1_795_940_060)
                envelope.held = true
                try await spool.update(envelope)
                #expect(try await spool.envelope(id) == envelope)
                #expect(try await contents(of: spool.openBody(id)) == Array("x\r\n".utf8))
                expected = envelope
            }
            try await storage.open { spool in
                let all = try await spool.all()
                #expect(all == expected.map { [$0] }, "the update survives a restart")
            }
        }
    }

    @Test(arguments: SpoolBackend.allCases) func removeDeletesTheMessage(_ backend: SpoolBackend) async throws {
        try await backend.withStorage { storage in
            try await storage.open { spool in
                let kept = try await store(Array("a\r\n".utf8), SpoolFixtures.envelope(), in: spool)
                let removed = try await store(SpoolFixtures.body(count: 300_000), SpoolFixtures.envelope(), in: spool)
                try await spool.remove(removed)
                await #expect(throws: SpoolError.unknownMessage(removed)) { try await spool.envelope(removed) }
                await #expect(throws: SpoolError.unknownMessage(removed)) { try await contents(of: spool.openBody(removed)) }
                await #expect(throws: SpoolError.unknownMessage(removed)) { try await spool.remove(removed) }
                var envelope = try await spool.envelope(kept)
                envelope.id = removed
                await #expect(throws: SpoolError.unknownMessage(removed)) { try await spool.update(envelope) }
                #expect(try await spool.all().map(\.id) == [kept])
            }
            #expect(try await storage.strayTexts() == 0)
        }
    }

    @Test(arguments: SpoolBackend.allCases) func allReturnsMessagesOldestFirst(_ backend: SpoolBackend) async throws {
        try await backend.withStorage { storage in
            var ids: [QueueID] = []
            try await storage.open { spool in
                for index in 0..<5 {
                    ids.append(try await store(Array("\(index)\r\n".utf8), SpoolFixtures.envelope(), in: spool))
                }
                #expect(try await spool.all().map(\.id) == ids.sorted())
            }
            try await storage.open { spool in
                let all = try await spool.all()
                #expect(all.map(\.id) == ids.sorted(), "and after a restart")
            }
        }
    }

    @Test(arguments: SpoolBackend.allCases) func concurrentCommitsAllLand(_ backend: SpoolBackend) async throws {
        try await backend.withStorage { storage in
            try await storage.open { spool in
                let ids = try await withThrowingTaskGroup(of: QueueID.self) { group in
                    for index in 0..<20 {
                        group.addTask {
                            try await store(SpoolFixtures.body(count: index * 20_000 + 1), SpoolFixtures.envelope(), in: spool)
                        }
                    }
                    return try await group.reduce(into: Set<QueueID>()) { $0.insert($1) }
                }
                #expect(ids.count == 20)
                #expect(Set(try await spool.all().map(\.id)) == ids)
                for id in ids {
                    let size = try await spool.envelope(id).size
                    #expect(try await contents(of: spool.openBody(id)).count == size)
                }
            }
        }
    }
}
