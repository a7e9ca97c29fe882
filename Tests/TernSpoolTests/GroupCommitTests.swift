import TernIO
import Testing

@Suite struct GroupCommitTests {
    /// An fsync stand-in that counts calls and holds the first one until released.
    private actor Gate {
        private(set) var calls = 0
        private var entered: CheckedContinuation<Void, Never>?
        private var release: CheckedContinuation<Void, Never>?
        private var hasEntered = false

        func sync() async {
            calls += 1
            guard calls == 1 else { return }
            hasEntered = true
            entered?.resume()
            await withCheckedContinuation { release = $0 }
        }

        func waitUntilEntered() async {
            if hasEntered { return }
            await withCheckedContinuation { entered = $0 }
        }

        func open() {
            release?.resume()
        }
    }

    @Test func committersWaitingDuringAnFsyncShareTheNextOne() async throws {
        let gate = Gate()
        let batcher = GroupCommit { await gate.sync() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await batcher.commit() }
            await gate.waitUntilEntered()
            for _ in 0..<10 {
                group.addTask { try await batcher.commit() }
            }
            let clock = ContinuousClock()
            let deadline = clock.now.advanced(by: .seconds(5))
            while await batcher.waitingCount < 10, clock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            #expect(await batcher.waitingCount == 10)
            await gate.open()
            try await group.waitForAll()
        }
        #expect(await gate.calls == 2, "one fsync for the first committer, one shared by the ten")
        #expect(await batcher.waitingCount == 0)
    }

    @Test func anFsyncErrorReachesEveryoneInItsGroup() async throws {
        struct Failure: Error {}
        let batcher = GroupCommit { throw Failure() }
        await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 {
                group.addTask { (try? await batcher.commit()) == nil }
            }
            for await failed in group {
                #expect(failed)
            }
        }
    }
}
