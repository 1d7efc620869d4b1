import Foundation
import LedgerCore
import LedgerSnapshots
import Testing

/// A writer that fails or dies part-way leaves no snapshot a replay would read, no stray file, and the
/// previous snapshot as it was (the write goes to a dot file renamed into place when complete).
@Suite("snapshot files: crash safety")
struct SnapshotCrashSafetyTests {
    @Test func aWriteThatFailsBeforeTheRenameLeavesNothingAndThePreviousSnapshotIntact() throws {
        try SnapshotFixture.withDirectory { directory in
            let previous = try SnapshotFixture.write(directory, position: 2)
            let before = try Data(contentsOf: previous.url)
            // Something in the way of the final name: the rename fails after the file was filled and synced.
            let blocker = directory.url(databaseID: SnapshotFixture.databaseID, position: 4)
            try FileManager.default.createDirectory(at: blocker, withIntermediateDirectories: false)
            #expect(
                FileManager.default.createFile(
                    atPath: blocker.appendingPathComponent("keep").path, contents: Data("x".utf8)))
            #expect(throws: (any Error).self) { try SnapshotFixture.write(directory) }
            #expect(
                try SnapshotFixture.names(directory) == [previous.url.lastPathComponent, blocker.lastPathComponent])
            #expect(try Data(contentsOf: previous.url) == before)
            try SnapshotFile.open(previous.url).verifyContent()
        }
    }

    @Test func aHalfWrittenFileOfADeadWriterIsNeverListedAndIsRemoved() throws {
        try SnapshotFixture.withDirectory { directory in
            let previous = try SnapshotFixture.write(directory, position: 2)
            let complete = try SnapshotFixture.write(directory)
            let bytes = try Data(contentsOf: complete.url)
            try FileManager.default.removeItem(at: complete.url)
            // What a killed writer leaves: its temporary file, cut anywhere.
            let dead = try Self.pidOfAnExitedProcess()
            let abandoned = directory.url.appendingPathComponent(".\(complete.url.lastPathComponent).tmp-\(dead)")
            try bytes.prefix(bytes.count / 3).write(to: abandoned)
            // A live writer's (this process's) temporary file is not touched.
            let live = directory.url.appendingPathComponent(".\(complete.url.lastPathComponent).tmp-\(getpid())")
            try bytes.write(to: live)
            #expect(try directory.files(of: SnapshotFixture.databaseID).map(\.url) == [previous.url])
            #expect(try directory.removeAbandonedTemporaryFiles() == [abandoned])
            #expect(
                try SnapshotFixture.names(directory)
                    == [live.lastPathComponent, previous.url.lastPathComponent].sorted())
            try SnapshotFile.open(previous.url).verifyContent()
        }
    }

    @Test func aFileCutShortUnderItsFinalNameIsRefusedAtEveryLength() throws {
        try SnapshotFixture.withDirectory { directory in
            let file = try SnapshotFixture.write(directory)
            let bytes = try Data(contentsOf: file.url)
            // Cut every 4 KiB, at page boundaries (pages are 8 KiB) and halfway through each page: no prefix of
            // a snapshot passes as one.
            for length in stride(from: 0, to: bytes.count, by: 4096) {
                try bytes.prefix(length).write(to: file.url)
                do throws(SnapshotProblem) {
                    try SnapshotFile.open(file.url).verifyContent()
                    Issue.record("a file cut to \(length) of \(bytes.count) bytes verified")
                } catch {}
            }
        }
    }

    @Test func writingAgainAtThePositionReplacesTheFileWhole() throws {
        try SnapshotFixture.withDirectory { directory in
            let first = try SnapshotFixture.write(directory)
            try SnapshotFixture.edit(first, "UPDATE subscriptions SET amount_cents = 0")
            let second = try SnapshotFixture.write(directory)
            #expect(second.url == first.url)
            try SnapshotFile.open(second.url).verifyContent()
            #expect(try SnapshotFixture.names(directory) == [second.url.lastPathComponent])
        }
    }

    /// The pid of a process that has exited and been reaped (so `kill(pid, 0)` finds no such process).
    static func pidOfAnExitedProcess() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }
}
