import Foundation
import LedgerTestSupport
import Testing

/// Audit inputs are read by one parser and refused, never misread: a time without a zone names no instant,
/// and a position past the head names a state the log does not hold.
@Suite("audit inputs are refused, not misread")
struct AuditInputTests {
    /// Each form was once answered with exit 0 and an empty state (read as midnight, or not read at all).
    static let zonelessTimes = [
        "2026-12-02T09:29:45", "2025-03-01T12:00:00.5", "2025/03/01", "2025-3-1", "2025-03-01 12:00:00",
    ]

    @Test(arguments: zonelessTimes)
    func everyTimeOptionRefusesATimeWithoutAZone(_ time: String) async throws {
        try await TestDatabase.withMigrated { database in
            let environment = ["DATABASE_URL": database.url]
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID()).jsonl").path
            defer { try? FileManager.default.removeItem(atPath: out) }
            let commands: [[String]] = [
                ["state", "sub_x", "--as-of", time],
                ["export", "state", "--as-of", time, "--format", "jsonl", "--out", out],
                ["export", "events", "--until-time", time, "--out", out],
                ["append", "--stream", "note:x", "--type", "note.added", "--data", "{}", "--occurred-at", time],
            ]
            for arguments in commands {
                let result = try runLedger(arguments, environment: environment)
                #expect(result.status == 2, "\(arguments): \(result.standardError)")
                // The refusal names the accepted forms, so the user can correct the value.
                #expect(result.standardError.contains("with a zone"), "\(arguments): \(result.standardError)")
                #expect(result.standardOutput.isEmpty, "\(arguments)")
            }
        }
    }

    @Test func aPositionPastTheHeadIsRefused() async throws {
        try await TestDatabase.withMigrated { database in
            let environment = ["DATABASE_URL": database.url]
            let appended = try runLedger(
                ["append", "--stream", "subscription:sub_x", "--type", "note.added", "--data", "{}"],
                environment: environment)
            #expect(appended.status == 0, "\(appended.standardError)")
            let beyond = try runLedger(["state", "sub_x", "--at-position", "2"], environment: environment)
            #expect(beyond.status == 2, "\(beyond.standardError)")
            #expect(beyond.standardError.contains("position 2 is beyond the log's head (1)"), "\(beyond.standardError)")
            // At the head it is an ordinary question.
            let atHead = try runLedger(["state", "sub_x", "--at-position", "1"], environment: environment)
            #expect(atHead.status == 0, "\(atHead.standardError)")
        }
    }
}
