#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#if FUZZING
import CLibFuzzer
#endif

/// A fuzz target's `LLVMFuzzerTestOneInput`.
public typealias TestOneInput = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

/// The `main` of every fuzz target, built two ways (Fuzz/README.md):
/// - with `-DFUZZING` (and `-sanitize=fuzzer`) it hands the command line to libFuzzer;
/// - without it, it replays every file named on the command line, and every file inside a
///   directory named there, so that seed corpora and saved crash inputs become regression
///   tests. A failing input traps inside the target, so the exit status is non-zero; a clean
///   run ends with status 0 and a count on standard output.
///
/// SwiftPM links an executable's `main` to the `@main` of its target, so libFuzzer's own
/// `main` can't be used: `LLVMFuzzerRunDriver` is libFuzzer's entry point for that case.
public enum FuzzTarget {
    /// Fuzzes `testOneInput`, or replays inputs through it.
    public static func main(_ testOneInput: TestOneInput) -> Never {
        #if FUZZING
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, testOneInput))
        #else
        replay(testOneInput)
        #endif
    }

    private static func replay(_ testOneInput: TestOneInput) -> Never {
        let paths = CommandLine.arguments.dropFirst()
        guard !paths.isEmpty else {
            fail("usage: \(CommandLine.arguments[0]) FILE|DIRECTORY...", status: 2)
        }
        var count = 0
        for path in paths {
            for file in files(at: path) {
                guard let bytes = contents(of: file) else { fail("cannot read \(file)", status: 1) }
                _ = bytes.withUnsafeBufferPointer { testOneInput($0.baseAddress, $0.count) }
                count += 1
            }
        }
        print("replayed \(count) inputs")
        exit(0)
    }

    private static func fail(_ message: String, status: CInt) -> Never {
        var text = message + "\n"
        text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
        exit(status)
    }

    /// `path` itself, or the regular files under it, sorted.
    private static func files(at path: String) -> [String] {
        guard let directory = opendir(path) else { return [path] }
        defer { closedir(directory) }
        var found: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard !name.hasPrefix(".") else { continue }
            found += files(at: path + "/" + name)
        }
        return found.sorted()
    }

    private static func contents(of path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let read = fread(&chunk, 1, chunk.count, file)
            bytes += chunk.prefix(read)
            if read < chunk.count { return ferror(file) == 0 ? bytes : nil }
        }
    }
}
