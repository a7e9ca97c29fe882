/// The line of every table header and key of a TOML source, to name lines in errors.
struct SourceLineIndex {
    private var firstLine: [ConfigKeyPath: Int] = [:]
    private var entries: [(path: ConfigKeyPath, line: Int)] = []

    init(source: String) {
        var scanner = TOMLLineScanner(source)
        var table = ConfigKeyPath.root
        var arrayCounts: [ConfigKeyPath: Int] = [:]
        while let item = scanner.next() {
            switch item {
            case .header(let keys, let isArray, let line):
                var path = ConfigKeyPath.root
                for (position, key) in keys.enumerated() {
                    path = path.appending(key)
                    if isArray, position == keys.count - 1 {
                        let index = arrayCounts[path, default: 0]
                        arrayCounts[path] = index + 1
                        record(path, line: line)
                        path = path.appending(index: index)
                    } else if let count = arrayCounts[path] {
                        // A table inside the latest element of an array of tables.
                        path = path.appending(index: count - 1)
                    }
                }
                table = path
                record(path, line: line)
            case .key(let keys, let line, let elementLines):
                let path = keys.reduce(table) { $0.appending($1) }
                record(path, line: line)
                for (index, elementLine) in elementLines.enumerated() {
                    record(path.appending(index: index), line: elementLine)
                }
            }
        }
    }

    private mutating func record(_ path: ConfigKeyPath, line: Int) {
        if firstLine[path] == nil { firstLine[path] = line }
        entries.append((path, line))
    }

    /// The line that best locates `path`: where it is defined; else the first line of anything
    /// inside it (a table defined only through its sub-tables); else the line of the nearest
    /// enclosing key or header (a key inside an inline table, a missing key of a table).
    func line(for path: ConfigKeyPath) -> Int? {
        if let line = firstLine[path] { return line }
        if let line = entries.lazy.filter({ $0.path.hasPrefix(path) }).map(\.line).min() { return line }
        var enclosing = path
        while !enclosing.components.isEmpty {
            enclosing = enclosing.dropping(1)
            if let line = firstLine[enclosing] { return line }
        }
        return nil
    }
}
