/// Makes file paths absolute without touching the file system.
enum PathResolver {
    /// `path` if absolute, else `path` inside `base` (an absolute directory); `.` and `..`
    /// components and repeated slashes are folded.
    static func absolute(_ path: String, relativeTo base: String) -> String {
        let joined = path.hasPrefix("/") ? path : base + "/" + path
        var components: [Substring] = []
        for component in joined.split(separator: "/") {
            switch component {
            case ".": continue
            case "..": _ = components.popLast()
            default: components.append(component)
            }
        }
        return "/" + components.joined(separator: "/")
    }

    /// The directory holding the file at the absolute path `file`.
    static func directory(of file: String) -> String {
        absolute(file + "/..", relativeTo: "/")
    }
}
