import Foundation
import LedgerSnapshots

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
    ///
    /// A path that already names something other than a regular file — a device (`/dev/null`,
    /// `/dev/stdout`), a pipe — is written in place: renaming a staged file over it would replace the
    /// device or pipe with a file.
    public static func file(_ url: URL) throws -> ExportOutput {
        var status = stat()
        if stat(url.path, &status) == 0, status.st_mode & S_IFMT != S_IFREG, status.st_mode & S_IFMT != S_IFDIR {
            let descriptor = open(url.path, O_WRONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw FileIOError(operation: "open", path: url.path, code: errno) }
            return ExportOutput(descriptor: descriptor, staged: nil)
        }
        let staged = StagedPath(final: url)
        return ExportOutput(descriptor: try create(staged.temporary), staged: staged)
    }

    /// A new file at `url` itself, for a file inside a directory that is staged as a whole.
    static func unstagedFile(_ url: URL) throws -> ExportOutput {
        ExportOutput(descriptor: try create(url), staged: nil)
    }

    private static func create(_ url: URL) throws -> Int32 {
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileIOError(operation: "create", path: url.path, code: errno) }
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
                    throw FileIOError(operation: "write", path: staged?.temporary.path ?? describedPath, code: errno)
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
