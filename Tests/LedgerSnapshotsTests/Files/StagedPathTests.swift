import Foundation
import Testing

@testable import LedgerSnapshots

/// The one durable write (snapshots and exports): nothing at the final path until commit, then all of it.
@Suite struct StagedPathTests {
    private func scratchDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("staged-path-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func aCommittedFileAppearsWholeAndItsTemporaryNameIsGone() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let staged = StagedPath(final: directory.appendingPathComponent("out.jsonl"))
        #expect(staged.temporary.lastPathComponent == ".out.jsonl.tmp-\(getpid())")
        #expect(staged.temporary.deletingLastPathComponent() == staged.final.deletingLastPathComponent())
        try Data("written\n".utf8).write(to: staged.temporary)
        #expect(!FileManager.default.fileExists(atPath: staged.final.path))
        try staged.commit()
        #expect(try String(contentsOf: staged.final, encoding: .utf8) == "written\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["out.jsonl"])
    }

    @Test func aStagedDirectoryIsCommittedWithItsFiles() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let staged = StagedPath(final: directory.appendingPathComponent("tables"))
        try FileManager.default.createDirectory(at: staged.temporary, withIntermediateDirectories: false)
        for name in ["a.csv", "b.csv"] {
            try Data(name.utf8).write(to: staged.temporary.appendingPathComponent(name))
        }
        try staged.commit()
        #expect(try FileManager.default.contentsOfDirectory(atPath: staged.final.path).sorted() == ["a.csv", "b.csv"])
    }

    @Test func aCommitWithNothingWrittenNamesThePathAndLeavesNothing() throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let staged = StagedPath(final: directory.appendingPathComponent("missing.sqlite"))
        #expect {
            try staged.commit()
        } throws: { error in
            "\(error)" == "stat \(staged.temporary.path): \(String(cString: strerror(ENOENT)))"
        }
        try Data("half".utf8).write(to: staged.temporary)
        staged.discard()
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }
}
