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

/// An ordered set of migrations: those built into the binary, or a directory's.
public struct MigrationSource: Sendable {
    /// Where the migrations came from, for messages: a directory's path, or the built-in set.
    public let origin: String
    /// Migrations in ascending version order.
    public let migrations: [Migration]

    /// The migrations of `db/migrations`, compiled into this binary when it was built (the
    /// EmbedFiles build plugin), so it migrates wherever it is copied or installed.
    public static func embedded() throws -> MigrationSource {
        try MigrationSource(files: EmbeddedMigrations.files, origin: "the migrations built into ledger")
    }

    /// Reads `NNN_name.sql` files and their `.down.sql` partners from `directory`.
    public init(directory: URL) throws {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw MigrationError("cannot read migrations directory \(directory.path): \(error.localizedDescription)")
        }
        let files = try names.filter { $0.hasSuffix(".sql") }.map { name in
            (name: name, text: try Self.read(directory.appendingPathComponent(name)))
        }
        try self.init(files: files, origin: directory.path)
    }

    /// Pairs `NNN_name.sql` with `NNN_name.down.sql` among `files` (other names are ignored).
    init(files: [(name: String, text: String)], origin: String) throws {
        self.origin = origin
        let names = Set(files.map(\.name))
        var migrations: [Migration] = []
        for file in files.sorted(by: { $0.name < $1.name })
        where file.name.hasSuffix(".sql") && !file.name.hasSuffix(".down.sql") {
            guard let (version, name) = Self.parse(fileName: file.name) else {
                throw MigrationError(
                    "\(file.name) in \(origin) is not named NNN_name.sql (digits, underscore, lower-case name)")
            }
            let downFile = "\(file.name.dropLast(4)).down.sql"
            guard let down = files.first(where: { $0.name == downFile }) else {
                throw MigrationError("\(file.name) has no rollback: expected \(downFile) beside it")
            }
            if let clash = migrations.first(where: { $0.version == version }) {
                throw MigrationError("\(file.name) and \(clash.fileName) share version \(version)")
            }
            migrations.append(Migration(version: version, name: name, upSQL: file.text, downSQL: down.text))
        }
        for name in names.sorted() where name.hasSuffix(".down.sql") {
            let upFile = "\(name.dropLast(9)).sql"
            guard names.contains(upFile) else { throw MigrationError("\(name) has no up migration \(upFile)") }
        }
        guard !migrations.isEmpty else { throw MigrationError("no migrations found in \(origin)") }
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
    /// The migrations a command uses: the directory given with `--migrations` (`explicit`) or
    /// `LEDGER_MIGRATIONS_DIR`, else those built into the binary.
    public static func locate(explicit: String?, environment: [String: String]) throws -> MigrationSource {
        if let explicit, !explicit.isEmpty { return try MigrationSource(directory: URL(fileURLWithPath: explicit)) }
        if let configured = environment["LEDGER_MIGRATIONS_DIR"], !configured.isEmpty {
            return try MigrationSource(directory: URL(fileURLWithPath: configured))
        }
        return try embedded()
    }
}
