import Foundation

/// A file or directory written under a temporary name beside its final path and renamed into
/// place only when complete, so a reader (or a crash) never sees half of it.
///
/// The one durable write of the package: snapshots (``SnapshotWriter``) and the engine's exports
/// both commit through it. It lives here, not in `LedgerCore` (no I/O there) nor in `LedgerEngine`
/// (which snapshots cannot import), because this is the lowest module that writes files.
///
/// The temporary name is a dot file, `.NAME.tmp-PID`, in the same directory (a rename across
/// file systems would not be atomic; ``SnapshotDirectory`` never lists such names and removes
/// those of dead processes). ``commit()`` syncs the contents, renames, and syncs the directory;
/// ``discard()`` removes what was written.
public struct StagedPath: Sendable {
    public let final: URL
    public let temporary: URL

    public init(final: URL) {
        self.final = final.standardizedFileURL
        self.temporary = self.final.deletingLastPathComponent()
            .appendingPathComponent(".\(self.final.lastPathComponent)\(SnapshotDirectory.temporaryMarker)\(getpid())")
    }

    /// Syncs the temporary file (or every file of the temporary directory), renames it to the final path.
    public func commit() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: temporary.path, isDirectory: &isDirectory) else {
            throw FileIOError(operation: "stat", path: temporary.path, code: ENOENT)
        }
        if isDirectory.boolValue {
            for name in try FileManager.default.contentsOfDirectory(atPath: temporary.path) {
                try Self.fsync(temporary.appendingPathComponent(name))
            }
        }
        try Self.fsync(temporary)
        guard rename(temporary.path, final.path) == 0 else {
            throw FileIOError(operation: "rename to \(final.path)", path: temporary.path, code: errno)
        }
        try Self.fsync(final.deletingLastPathComponent())
    }

    /// Removes the temporary file or directory, if any (before writing, and after a failure).
    public func discard() {
        try? FileManager.default.removeItem(at: temporary)
    }

    /// Flushes a file (or a directory's entries) to stable storage.
    static func fsync(_ url: URL) throws {
        let descriptor = open(url.path, O_RDONLY)
        guard descriptor >= 0 else { throw FileIOError(operation: "open", path: url.path, code: errno) }
        defer { close(descriptor) }
        guard Foundation.fsync(descriptor) == 0 else {
            throw FileIOError(operation: "fsync", path: url.path, code: errno)
        }
    }
}

/// A failed file-system call while writing a snapshot or an export: what was called, on which path, and why.
public struct FileIOError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var path: String
    public var code: Int32

    public init(operation: String, path: String, code: Int32) {
        self.operation = operation
        self.path = path
        self.code = code
    }

    public var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
}
