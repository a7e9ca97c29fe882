import Benchmark
import NIOCore
import TernSMTPCore
import TernSpool
import UsableSize

/// The paths every message takes, measured: allocations (checked against
/// `Benchmarks/Thresholds/`) and time (shown, never checked: it depends on the machine).
/// `scripts/benchmarks` runs them; docs/architecture.md §5.
///
/// Each benchmark repeats its operation `scalingFactor` times per iteration (1,000 unless it
/// says otherwise) and shows figures per operation; the recorded counts are per iteration
/// (`22000` for MAIL's 22 allocations). Inputs are built before the first measurement.
///
/// Instructions are not among the default metrics: reading the performance counters
/// allocates inside the measured region (16 to 18 allocations per iteration with
/// benchmark 1.38.1 on Linux), which would make the allocation counts depend on the run, and
/// many virtual machines have no counters. Where they exist, `--metric instructions` shows them.
///
/// The counts do not depend on the state of the heap: `Benchmarks/UsableSize` answers
/// `malloc_usable_size` as glibc does for a freshly cut chunk (its `UsableSize.c` says why).
let benchmarks: @Sendable () -> Void = {
    // Allocation counts are exact: one allocation more or fewer in an iteration fails the
    // check (record new counts in the same commit as a change that means them). Time is
    // never compared.
    let exact = BenchmarkThresholds(absolute: [.p90: 0])
    let unchecked = BenchmarkThresholds()
    Benchmark.defaultConfiguration = .init(
        metrics: [.mallocCountTotal, .wallClock],
        warmupIterations: 3,
        scalingFactor: .kilo,
        maxDuration: .seconds(1),
        maxIterations: 1_000,
        thresholds: [.mallocCountTotal: exact, .wallClock: unchecked])

    // Growing arrays and strings must see glibc's sizes without the heap's leftovers, or the
    // counts change from run to run (Benchmarks/UsableSize/UsableSize.c).
    let answers = tern_usable_size_answers()
    blackHole(Array(repeating: UInt8(0), count: 100))
    precondition(tern_usable_size_answers() > answers,
                 "malloc_usable_size is not Benchmarks/UsableSize's: has the malloc interposer's header changed?")

    commandParser()
    framer()
    replies()
    envelopes()
}

/// A command line as `ServerSession.received(_:)` reads it: decoded, split into verb and
/// argument, the argument parsed.
private func commandParser() {
    let mail = Inputs.line(Inputs.mail)
    Benchmark("CommandParser.MAIL") { benchmark in
        for _ in benchmark.scaledIterations {
            let line = SplitCommandLine(String(decoding: mail.readableBytesView, as: UTF8.self))
            blackHole(try? TransactionCommandParser.mail(line.argument))
        }
    }

    let rcpt = Inputs.line(Inputs.rcpt)
    Benchmark("CommandParser.RCPT") { benchmark in
        for _ in benchmark.scaledIterations {
            let line = SplitCommandLine(String(decoding: rcpt.readableBytesView, as: UTF8.self))
            blackHole(try? TransactionCommandParser.rcpt(line.argument, smtpUTF8: false))
        }
    }

    // EHLO's argument is the client's name, its first word (ServerSession+Commands.swift).
    let ehlo = Inputs.line(Inputs.ehlo)
    Benchmark("CommandParser.EHLO") { benchmark in
        for _ in benchmark.scaledIterations {
            let line = SplitCommandLine(String(decoding: ehlo.readableBytesView, as: UTF8.self))
            blackHole(line.argument.split(separator: " ").first.map(String.init))
        }
    }
}

/// `SMTPFramer` cutting command lines and DATA text from what the socket read.
private func framer() {
    let pipelined = Inputs.pipelinedRead
    Benchmark("Framer.commands") { benchmark in
        for _ in benchmark.scaledIterations {
            var framer = SMTPFramer()
            framer.append(pipelined)
            while let frame = framer.next(.commands) {
                blackHole(frame)
            }
        }
    }

    let split = Inputs.pipelinedSplitReads
    Benchmark("Framer.commands-split-read") { benchmark in
        for _ in benchmark.scaledIterations {
            var framer = SMTPFramer()
            for read in split {
                framer.append(read)
                while let frame = framer.next(.commands) {
                    blackHole(frame)
                }
            }
        }
    }

    func data(_ name: String, _ reads: [ByteBuffer], scalingFactor: BenchmarkScalingFactor) {
        Benchmark(name, configuration: .init(scalingFactor: scalingFactor)) { benchmark in
            for _ in benchmark.scaledIterations {
                var framer = SMTPFramer()
                var ended = false
                for read in reads {
                    framer.append(read)
                    while let frame = framer.next(.messageData) {
                        if frame == .endOfData { ended = true }
                        blackHole(frame)
                    }
                }
                precondition(ended, "\(name): no end of data")
            }
        }
    }
    data("Framer.DATA-4KiB", [Inputs.data4KiB], scalingFactor: .kilo)
    data("Framer.DATA-100KiB", [Inputs.data100KiB], scalingFactor: .one)
    data("Framer.DATA-100KiB-8KiB-reads", Inputs.data100KiBReads, scalingFactor: .one)
}

/// `Reply.write(into:)` into the session's reply buffer, kept between replies.
private func replies() {
    func reply(_ name: String, _ reply: Reply) {
        Benchmark(name) { benchmark in
            var buffer = ByteBuffer()
            buffer.reserveCapacity(1024)
            for _ in benchmark.scaledIterations {
                buffer.clear()
                reply.write(into: &buffer)
                blackHole(buffer.readableBytes)
            }
        }
    }
    reply("Reply.single-line", Inputs.queuedReply)
    reply("Reply.EHLO", Inputs.ehloReply)
}

/// The spool's envelope record: written at commit and after each attempt, read at start and
/// for each attempt.
private func envelopes() {
    for count in [1, 5] {
        let envelope = Inputs.envelope(recipients: count)
        Benchmark("EnvelopeRecord.encode-\(count)rcpt") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(EnvelopeRecord.encode(envelope))
            }
        }

        let record = EnvelopeRecord.encode(envelope)
        precondition((try? EnvelopeRecord.decode(record)) == envelope, "the record does not read back")
        Benchmark("EnvelopeRecord.decode-\(count)rcpt") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try? EnvelopeRecord.decode(record))
            }
        }
    }
}
