import Foundation

/// A directory of snapshot files, named `ledger-<database id>-<position>.sqlite` so the files
/// of two databases never mix and sort by position.
public struct SnapshotDirectory: Sendable {
    public let url: URL

    public init(url: URL) {
        self.url = url
    }

    /// `LEDGER_SNAPSHOT_DIR`, else `./snapshots`.
    public static func `default`(environment: [String: String] = ProcessInfo.processInfo.environment)
        -> SnapshotDirectory
    {
        let path = environment["LEDGER_SNAPSHOT_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "snapshots"
        return SnapshotDirectory(url: URL(fileURLWithPath: path, isDirectory: true))
    }

    static let prefix = "ledger-"
    static let suffix = ".sqlite"
    static let temporaryMarker = ".tmp-"

    /// The file name for a snapshot of `databaseID` at `position`.
    public func url(databaseID: UUID, position: Int64) -> URL {
        let digits = String(position)
        let padded = String(repeating: "0", count: max(0, 16 - digits.count)) + digits
        return url.appendingPathComponent(
            "\(Self.prefix)\(databaseID.uuidString.lowercased())-\(padded)\(Self.suffix)")
    }

    func create() throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// The snapshot files of `databaseID` (by name), newest position first. A missing directory has none.
    public func files(of databaseID: UUID) throws -> [(url: URL, position: Int64)] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: url.path)
        } catch CocoaError.fileReadNoSuchFile {
            return []
        }
        let prefix = "\(Self.prefix)\(databaseID.uuidString.lowercased())-"
        return names.compactMap { name -> (URL, Int64)? in
            guard name.hasPrefix(prefix), name.hasSuffix(Self.suffix),
                let position = Int64(name.dropFirst(prefix.count).dropLast(Self.suffix.count))
            else { return nil }
            return (url.appendingPathComponent(name), position)
        }.sorted { $0.1 > $1.1 }
    }

    /// Deletes temporary files left by writers that died (their process is gone); returns them.
    @discardableResult
    public func removeAbandonedTemporaryFiles() throws -> [URL] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: url.path) else { return [] }
        var removed: [URL] = []
        for name in names where name.hasPrefix(".\(Self.prefix)") {
            guard let marker = name.range(of: Self.temporaryMarker, options: .backwards),
                let pid = Int32(name[marker.upperBound...])
            else { continue }
            // kill(pid, 0) fails with ESRCH when no such process exists.
            guard pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            let file = url.appendingPathComponent(name)
            try FileManager.default.removeItem(at: file)
            removed.append(file)
        }
        return removed
    }
}
