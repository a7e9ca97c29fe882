/// What this build of Tern is: the version and the git revision it was built from, for
/// `tern --version` and the `tern_build_info` metric (docs/operations.md "Metrics and health").
package enum TernBuild {
    /// The release this source tree is.
    package static let version = "0.1.0"
    /// The short git commit of the source tree, with `-modified` when it had uncommitted
    /// changes; `unknown` outside a git checkout. Written at each build by the `RevisionStamp`
    /// plugin (`Plugins/RevisionStamp`).
    package static let revision = buildRevision

    /// `tern 0.1.0 (revision 1a2b3c4d5e6f)`.
    package static var description: String { "tern \(version) (revision \(revision))" }
}
