import ArgumentParser
import Foundation
import LedgerEngine
import LedgerSnapshots

/// `--snapshot-dir`: where snapshot files are.
struct SnapshotDirectoryOption: ParsableArguments {
    @Option(
        name: .customLong("snapshot-dir"),
        help: ArgumentHelp(
            "Directory of snapshot files (default: LEDGER_SNAPSHOT_DIR, else ./snapshots).", valueName: "dir"))
    var path: String?

    var directory: SnapshotDirectory { resolvedSnapshotDirectory(path) }
}

/// Where snapshot files are, and how often `project` and `rebuild` write one.
struct SnapshotOptions: ParsableArguments {
    @OptionGroup var location: SnapshotDirectoryOption

    @Option(
        help: ArgumentHelp(
            "Write a snapshot each time the state moves this many events past the newest one.", valueName: "n"))
    var snapshotEvery: Int64?

    func validate() throws {
        if let snapshotEvery, snapshotEvery < 1 { throw ValidationError("--snapshot-every must be at least 1") }
    }

    var snapshotDirectory: SnapshotDirectory { location.directory }

    func policy(replayFromSnapshots: Bool) -> SnapshotPolicy {
        SnapshotPolicy(directory: snapshotDirectory, replayFromSnapshots: replayFromSnapshots, every: snapshotEvery)
    }
}

/// The directory a `--snapshot-dir`/`--dir` value names, else LEDGER_SNAPSHOT_DIR, else ./snapshots.
func resolvedSnapshotDirectory(_ path: String?) -> SnapshotDirectory {
    path.map { SnapshotDirectory(url: URL(fileURLWithPath: $0, isDirectory: true)) } ?? .default()
}
