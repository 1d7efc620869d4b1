import Foundation

/// A file or directory written under a temporary name beside its final path and renamed into
/// place only when complete, so a reader (or a crash) never sees half an export.
///
/// The temporary name is a dot file, `.NAME.tmp-PID`, in the same directory (a rename across
/// file systems would not be atomic). ``commit()`` syncs the contents, renames, and syncs the
/// directory; ``discard()`` removes what was written.
public struct StagedPath: Sendable {
    public let final: URL
    public let temporary: URL

    public init(final: URL) {
        self.final = final.standardizedFileURL
        self.temporary = self.final.deletingLastPathComponent()
            .appendingPathComponent(".\(self.final.lastPathComponent).tmp-\(getpid())")
    }

    /// Syncs the temporary file (or every file of the temporary directory), renames it to the final path.
    public func commit() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: temporary.path, isDirectory: &isDirectory) else {
            throw ExportIOError(operation: "stat", path: temporary.path, code: ENOENT)
        }
        if isDirectory.boolValue {
            for name in try FileManager.default.contentsOfDirectory(atPath: temporary.path) {
                try Self.fsync(temporary.appendingPathComponent(name))
            }
        }
        try Self.fsync(temporary)
        guard rename(temporary.path, final.path) == 0 else {
            throw ExportIOError(operation: "rename to \(final.path)", path: temporary.path, code: errno)
        }
        try Self.fsync(final.deletingLastPathComponent())
    }

    /// Removes the temporary file or directory, if any (after a failure).
    public func discard() {
        try? FileManager.default.removeItem(at: temporary)
    }

    static func fsync(_ url: URL) throws {
        let descriptor = open(url.path, O_RDONLY)
        guard descriptor >= 0 else { throw ExportIOError(operation: "open", path: url.path, code: errno) }
        defer { close(descriptor) }
        guard Foundation.fsync(descriptor) == 0 else {
            throw ExportIOError(operation: "fsync", path: url.path, code: errno)
        }
    }
}

/// A failed file-system call while writing an export.
public struct ExportIOError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var path: String
    public var code: Int32

    public var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
}

/// Where an export's bytes go: standard output, or a file staged under a temporary name.
///
/// Writes go straight to the file descriptor in the large chunks the caller gathers
/// (``Limits/exportWriteBufferBytesMax``): no Foundation buffering, no per-record system call.
public final class ExportOutput {
    private let descriptor: Int32
    private let staged: StagedPath?
    /// Whether ``finish()`` closes the descriptor (not standard output's).
    private let owned: Bool
    private var closed = false
    /// Bytes written so far.
    public private(set) var bytesWritten: Int64 = 0

    private init(descriptor: Int32, staged: StagedPath?) {
        self.descriptor = descriptor
        self.staged = staged
        self.owned = descriptor != STDOUT_FILENO
    }

    deinit { discard() }

    /// Standard output; ``finish()`` leaves it open.
    public static func standardOutput() -> ExportOutput {
        ExportOutput(descriptor: STDOUT_FILENO, staged: nil)
    }

    /// A new file staged beside `url`, renamed to it by ``finish()``.
    public static func file(_ url: URL) throws -> ExportOutput {
        let staged = StagedPath(final: url)
        return ExportOutput(descriptor: try create(staged.temporary), staged: staged)
    }

    /// A new file at `url` itself, for a file inside a directory that is staged as a whole.
    static func unstagedFile(_ url: URL) throws -> ExportOutput {
        ExportOutput(descriptor: try create(url), staged: nil)
    }

    private static func create(_ url: URL) throws -> Int32 {
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw ExportIOError(operation: "create", path: url.path, code: errno) }
        return descriptor
    }

    /// The path the output ends up at; nil for standard output.
    public var path: URL? { staged?.final }

    private var describedPath: String { owned ? "an export file" : "standard output" }

    /// Writes all of `bytes`.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let written = Foundation.write(descriptor, base + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw ExportIOError(operation: "write", path: staged?.temporary.path ?? describedPath, code: errno)
                }
                offset += written
            }
        }
        bytesWritten += Int64(bytes.count)
    }

    /// Completes the output: a staged file is synced and renamed into place.
    public func finish() throws {
        guard !closed else { return }
        closed = true
        if owned { close(descriptor) }
        guard let staged else { return }
        do {
            try staged.commit()
        } catch {
            staged.discard()
            throw error
        }
    }

    /// Abandons a file output: the temporary file is removed and nothing appears at the path.
    public func discard() {
        guard !closed else { return }
        closed = true
        if owned { close(descriptor) }
        staged?.discard()
    }
}
