import Foundation
import PackagePlugin

/// Writes `BuildRevision.swift` (`let buildRevision = "…"`) before each build of the target
/// that uses it, from `git rev-parse` in the package folder. A prebuild command, so that it runs
/// every build; the file is rewritten only when the revision changed, so an unchanged tree
/// recompiles nothing.
@main
struct RevisionStamp: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "Generated")
        let file = output.appending(path: "BuildRevision.swift").path(percentEncoded: false)
        let package = context.package.directoryURL.path(percentEncoded: false)
        let script = """
            revision=$(git -C "$1" rev-parse --short=12 HEAD 2>/dev/null) || revision=unknown
            if [ "$revision" != unknown ] && ! git -C "$1" diff --quiet HEAD -- 2>/dev/null; then
                revision="$revision-modified"
            fi
            mkdir -p "$(dirname "$2")"
            line="let buildRevision = \\"$revision\\""
            [ "$(cat "$2" 2>/dev/null)" = "$line" ] || printf '%s\\n' "$line" > "$2"
            """
        return [.prebuildCommand(
            displayName: "Stamping the git revision", executable: URL(filePath: "/bin/sh"),
            arguments: ["-c", script, "revision-stamp", package, file], outputFilesDirectory: output)]
    }
}
