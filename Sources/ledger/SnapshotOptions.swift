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

    /// A path that is a file cannot hold snapshots, whatever the command does with them.
    func validate() throws {
        _ = try directory.exists(origin: snapshotDirectoryOrigin(path, flag: "--snapshot-dir"))
    }
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
        _ = try snapshotDirectory.exists(origin: origin)
    }

    private var origin: String { snapshotDirectoryOrigin(location.path, flag: "--snapshot-dir") }

    var snapshotDirectory: SnapshotDirectory { location.directory }

    /// How the command uses snapshots.
    ///
    /// Snapshots only speed replays up, so a missing directory is not an error for the commands that
    /// replay (project, rebuild, serve); but a misspelt one must not pass silently either: a replay that
    /// would read snapshots says which directory was looked for, and that it starts from event 1. Said
    /// here, when the command runs, not in `validate()`, which also runs for `--help`.
    func policy(replayFromSnapshots: Bool) -> SnapshotPolicy {
        if replayFromSnapshots, (try? snapshotDirectory.exists(origin: origin)) == false {
            let created = snapshotEvery == nil ? "" : "; it is created with the first snapshot"
            warn("no snapshot directory at \(snapshotDirectory.url.path) (\(origin)): replaying from event 1\(created)")
        }
        return SnapshotPolicy(
            directory: snapshotDirectory, replayFromSnapshots: replayFromSnapshots, every: snapshotEvery)
    }
}

/// The directory a `--snapshot-dir`/`--dir` value names, else LEDGER_SNAPSHOT_DIR, else ./snapshots.
func resolvedSnapshotDirectory(_ path: String?) -> SnapshotDirectory {
    path.map { SnapshotDirectory(url: URL(fileURLWithPath: $0, isDirectory: true)) } ?? .default()
}

/// Which setting named the snapshot directory, for messages: the flag, the variable or the default.
func snapshotDirectoryOrigin(_ path: String?, flag: String) -> String {
    if path != nil { return flag }
    if let configured = ProcessInfo.processInfo.environment["LEDGER_SNAPSHOT_DIR"], !configured.isEmpty {
        return "LEDGER_SNAPSHOT_DIR"
    }
    return "the default"
}

extension SnapshotDirectory {
    /// Whether the directory exists; a path that exists but is not a directory is a usage error.
    func exists(origin: String) throws -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { return false }
        guard isDirectory.boolValue else {
            throw ValidationError(
                "snapshot directory \(url.path) (\(origin)) is a file, not a directory: "
                    + "name the directory that holds the snapshot files")
        }
        return true
    }

    /// Throws unless the directory exists: for commands that only read snapshots, where a missing
    /// directory named on the command line is a typo, not an empty directory.
    func requireExisting(origin: String) throws {
        guard try !exists(origin: origin) else { return }
        throw ValidationError(
            "no snapshot directory at \(url.path) (\(origin)): check the path (or create it with "
                + "`mkdir -p \(url.path)`)")
    }
}

/// One line on standard error, for what a command notices before its logger exists.
func warn(_ message: String) {
    FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
}
