import Foundation
import LedgerCore

/// One schema change: `NNN_name.sql` and the `NNN_name.down.sql` that undoes it.
public struct Migration: Sendable, Equatable {
    public var version: Int
    public var name: String
    public var upSQL: String
    public var downSQL: String

    /// SHA-256 of the up file's bytes; a recorded migration whose file changes is refused.
    public var checksum: String { HexEncoding.sha256(Array(upSQL.utf8)) }

    /// The file name of the up migration, e.g. `001_initial_schema.sql`.
    public var fileName: String { String(format: "%03d_%@.sql", version, name) }
}

/// Why a set of migration files cannot be used.
public struct MigrationError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The ordered migrations of one directory.
public struct MigrationSource: Sendable {
    /// Where the files were read from, for messages.
    public let directory: URL
    /// Migrations in ascending version order.
    public let migrations: [Migration]

    /// Reads `NNN_name.sql` files and their `.down.sql` partners from `directory`.
    public init(directory: URL) throws {
        self.directory = directory
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw MigrationError("cannot read migrations directory \(directory.path): \(error.localizedDescription)")
        }
        var migrations: [Migration] = []
        for file in files.sorted() where file.hasSuffix(".sql") && !file.hasSuffix(".down.sql") {
            guard let (version, name) = Self.parse(fileName: file) else {
                throw MigrationError(
                    "\(file) in \(directory.path) is not named NNN_name.sql (digits, underscore, lower-case name)")
            }
            let downFile = "\(file.dropLast(4)).down.sql"
            guard files.contains(downFile) else {
                throw MigrationError("\(file) has no rollback: expected \(downFile) beside it")
            }
            if let clash = migrations.first(where: { $0.version == version }) {
                throw MigrationError("\(file) and \(clash.fileName) share version \(version)")
            }
            migrations.append(
                Migration(
                    version: version, name: name,
                    upSQL: try Self.read(directory.appendingPathComponent(file)),
                    downSQL: try Self.read(directory.appendingPathComponent(downFile))))
        }
        for file in files where file.hasSuffix(".down.sql") {
            let upFile = "\(file.dropLast(9)).sql"
            guard files.contains(upFile) else { throw MigrationError("\(file) has no up migration \(upFile)") }
        }
        guard !migrations.isEmpty else { throw MigrationError("no migrations found in \(directory.path)") }
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// The migration with `version`, if there is one.
    public func migration(_ version: Int) -> Migration? { migrations.first { $0.version == version } }

    static func parse(fileName: String) -> (Int, String)? {
        let stem = fileName.dropLast(4)
        guard let underscore = stem.firstIndex(of: "_") else { return nil }
        let digits = stem[..<underscore]
        let name = stem[stem.index(after: underscore)...]
        guard digits.count >= 3, digits.allSatisfy(\.isASCII), let version = Int(digits), version > 0,
            !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_") })
        else { return nil }
        return (version, String(name))
    }

    static func read(_ url: URL) throws -> String {
        do {
            return try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw MigrationError("cannot read \(url.path): \(error.localizedDescription)")
        }
    }
}

extension MigrationSource {
    /// Finds the migrations directory: an explicit one, `LEDGER_MIGRATIONS_DIR`, or
    /// `db/migrations` in a checkout that holds the running binary, so the release
    /// binary works from any working directory.
    public static func locate(explicit: String?, environment: [String: String]) throws -> MigrationSource {
        if let explicit { return try MigrationSource(directory: URL(fileURLWithPath: explicit)) }
        if let configured = environment["LEDGER_MIGRATIONS_DIR"], !configured.isEmpty {
            return try MigrationSource(directory: URL(fileURLWithPath: configured))
        }
        var candidates: [URL] = []
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        var folder = executable.deletingLastPathComponent()
        candidates.append(folder.appendingPathComponent("../share/ledger/migrations").standardizedFileURL)
        for _ in 0..<6 {
            candidates.append(folder.appendingPathComponent("db/migrations"))
            folder = folder.deletingLastPathComponent()
        }
        candidates.append(
            URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("db/migrations"))
        for candidate in candidates where FileManager.default.fileExists(atPath: candidate.path) {
            return try MigrationSource(directory: candidate)
        }
        throw MigrationError(
            "no migrations directory found; looked in:\n"
                + candidates.map { "  \($0.path)" }.joined(separator: "\n")
                + "\npass --migrations DIR or set LEDGER_MIGRATIONS_DIR")
    }
}
