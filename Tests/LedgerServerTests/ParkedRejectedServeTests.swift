import Foundation
import LedgerCore
import LedgerEngine
import LedgerPostgres
import LedgerTestSupport
import Testing

@testable import LedgerServer

/// `GET /v1/parked` and `GET /v1/rejected` answer what `ledger parked --json` and `ledger rejected --json`
/// print, behind the read API's token; the live projector rechecks parked subscriptions when `licenses`
/// changes, so a late license makes the row without another event.
@Suite("read API: parked and rejected; late licenses in serve")
struct ParkedRejectedServeTests {
    @Test func parkedAndRejectedAnswerTheCLIsJSONBehindTheToken() async throws {
        var random = SeededGenerator(seed: TestSeed.value(default: 15_52))
        let orphans = 1 + random.below(4)
        let times = (0..<(1 + random.below(5))).map { _ in
            EventTime(secondsSinceEpoch: 1_700_000_000 + Int64(random.below(1_000_000)))
        }.sorted()
        let cut = random.pick(times)
        try await TestDatabase.withMigrated { database in
            let connection = try database.connect()
            for (index, time) in times.enumerated() {
                try RejectedInputs(connection: connection).record(
                    [.init(origin: "test:\(index)", reason: "not an event", body: Array("x\(index)".utf8))],
                    source: "stripe", receivedAt: time)
            }
            try await InProcessLedger.with(database) { server in
                let missing = UUID()
                for index in 0..<orphans {
                    let body = lateLicenseEvent("evt_api_\(index)", "sub_api_\(index)", license: missing)
                    #expect(try await server.postWebhook(body, signature: sign(body)).status == 200)
                }
                try await Poll.until("the projector parked the subscriptions") {
                    try ParkedReport.read(try database.connect()).total == orphans
                }
                for path in ["/v1/parked", "/v1/rejected"] {
                    #expect(try await server.get(path, token: nil).status == 401, "\(path)")
                    #expect(try await server.get(path + "?unknown=1").status == 400, "\(path)")
                }
                #expect(try await server.get("/v1/rejected?since=2025-03-01T12:00:00").status == 400)
                let long = String(repeating: "a", count: QueryParameters.valueBytesMax + 1)
                #expect(try await server.get("/v1/parked?reason=\(long)").status == 400)

                let parked = try await server.get("/v1/parked?reason=missing_license")
                #expect(parked.status == 200, "\(parked.text)")
                let cliParked = try runLedger(
                    ["parked", "--reason", "missing_license", "--json"], environment: ["DATABASE_URL": database.url])
                #expect(try json(parked.text) == json(cliParked.standardOutput), "\(parked.text)")
                let report = try #require(try json(parked.text) as? [String: Any])
                #expect(report["total"] as? Int == orphans)

                let rejected = try await server.get("/v1/rejected?since=\(cut)")
                #expect(rejected.status == 200, "\(rejected.text)")
                let cliRejected = try runLedger(
                    ["rejected", "--since", "\(cut)", "--json"], environment: ["DATABASE_URL": database.url])
                #expect(try json(rejected.text) == json(cliRejected.standardOutput), "\(rejected.text)")
                let list = try #require(try json(rejected.text) as? [String: Any])
                #expect(list["total"] as? Int == times.filter { $0 >= cut }.count, "since \(cut): \(list)")
            }
        }
    }

    /// The live projector in process: a license inserted after its subscription was parked makes the row,
    /// no event arriving, and the recheck is counted by what woke it.
    @Test func aLateLicenseIsProjectedInProcessAndTheRecheckCounted() async throws {
        try await TestDatabase.withMigrated { database in
            try await InProcessLedger.with(database) { server in
                let license = UUID()
                let body = lateLicenseEvent("evt_late_in_process", "sub_late_in_process", license: license)
                #expect(try await server.postWebhook(body, signature: sign(body)).status == 200)
                try await Poll.until("the subscription is parked for its license") {
                    try ParkedReport.read(try database.connect(), reason: "missing_license").total == 1
                }
                try insertLicense(license, into: try database.connect())
                try await Poll.until("the subscription became a row") { try subscriptionRows(database) == 1 }
                #expect(try ParkedReport.read(try database.connect()).total == 0)
                // Counted once the recheck's transaction is over, a moment after its row is visible.
                try await Poll.until("the recheck is counted as woken by the license") {
                    String(decoding: server.metrics.exposition(), as: UTF8.self)
                        .contains(#"ledger_parked_rechecks_total{trigger="licenses_changed"} 1"#)
                }
            }
        }
    }

    /// The same through the binary: `ledger serve` makes the row once the license exists, without another
    /// event, and shows the recheck at `/metrics`.
    @Test func aLicenseInsertedWhileServeRunsMakesTheParkedSubscriptionARow() async throws {
        try await TestDatabase.withMigrated { database in
            let server = try await ServedLedger.start(databaseURL: database.url)
            let license = UUID()
            let body = lateLicenseEvent("evt_late_serve", "sub_late_serve", license: license)
            #expect(try await server.postWebhook(body, signature: sign(body)).status == 200)
            try await Poll.until("serve parked the subscription for its license") {
                try ParkedReport.read(try database.connect(), reason: "missing_license").total == 1
            }
            let head = try storedCount(database)
            try insertLicense(license, into: try database.connect())
            try await Poll.until("serve made the subscription a row") { try subscriptionRows(database) == 1 }
            #expect(try storedCount(database) == head, "no event was appended: the license alone made the row")
            let parked = try await server.get("/v1/parked")
            #expect(try (json(parked.text) as? [String: Any])?["total"] as? Int == 0, "\(parked.text)")
            try await Poll.until("/metrics counts the recheck as woken by the license") {
                try await server.request("GET", "/metrics").text
                    .contains(#"ledger_parked_rechecks_total{trigger="licenses_changed"} 1"#)
            }
            let stopped = await server.stop()
            #expect(stopped.status == 0, "\(stopped.standardError)")
        }
    }
}

/// The follower's fallback and its notification handling, without a server.
@Suite("following projector: parked rechecks")
struct ParkedRecheckFollowerTests {
    @Test func aLicensesNotificationIsTakenOnceAndIsNotAnAppend() {
        var follower = ProjectionLease.Follower()
        follower.received(channel: LicenseLookup.notificationChannel, payload: "")
        let appended = follower.takeAppended()
        let changed = (follower.takeLicensesChanged(), follower.takeLicensesChanged())
        #expect(!appended && changed == (true, false))
        follower.received(channel: EventStore.notificationChannel, payload: "7")
        let afterAppend = (follower.takeLicensesChanged(), follower.takeAppended())
        #expect(afterAppend == (false, true))
    }

    /// A license whose insert notifies nothing (the trigger disabled, as rows applied by logical replication
    /// are) still makes the row: the bounded poll rechecks.
    @Test func withoutANotificationTheBoundedPollRechecks() async throws {
        try await TestDatabase.withMigrated { database in
            let license = UUID()
            let body = lateLicenseEvent("evt_poll", "sub_poll", license: license)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("poll-\(UUID()).jsonl")
            try Data(body + Array("\n".utf8)).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let ingested = try runLedger(["ingest", "stripe", file.path], environment: ["DATABASE_URL": database.url])
            #expect(ingested.status == 0, "\(ingested.standardError)")
            let stop = Locked(false)
            let rechecks = Locked<[ParkedRecheck]>([])
            let following = BackgroundThread("test.follow") {
                let projector = try Projector(connect: database.connect)
                try projector.follow(
                    recheckInterval: .milliseconds(200), shouldStop: { stop.withLock { $0 } }, onCatchUp: { _ in },
                    onParkedRecheck: { recheck in rechecks.withLock { $0.append(recheck) } })
            }
            try await Poll.until("the subscription is parked for its license") {
                try ParkedReport.read(try database.connect(), reason: "missing_license").total == 1
            }
            let connection = try database.connect()
            try connection.execute("ALTER TABLE public.licenses DISABLE TRIGGER licenses_notify_ledger")
            try insertLicense(license, into: connection)
            try await Poll.until("the poll made the subscription a row") { try subscriptionRows(database) == 1 }
            stop.withLock { $0 = true }
            try await following.value
            let seen = rechecks.withLock { $0 }
            #expect(seen.contains { $0.trigger == .poll && $0.waitingAfter == 0 }, "\(seen)")
            #expect(!seen.contains { $0.trigger == .licensesChanged }, "\(seen)")
        }
    }
}

/// A monthly `pro` subscription whose metadata names `license`.
private func lateLicenseEvent(_ event: String, _ subscription: String, license: UUID) -> [UInt8] {
    let created = 1_700_000_000
    return Array(
        #"{"id":"\#(event)","object":"event","type":"customer.subscription.created","created":\#(created),"data":{"object":{"id":"\#(subscription)","object":"subscription","customer":"cus_\#(subscription)","status":"active","currency":"usd","cancel_at_period_end":false,"current_period_start":\#(created),"current_period_end":\#(created + 2_592_000),"items":{"data":[{"price":{"id":"price_pro","unit_amount":1900,"currency":"usd","recurring":{"interval":"month","interval_count":1}},"quantity":1}]},"metadata":{"license_id":"\#(license.uuidString.lowercased())","plan_type":"pro"}}}}"#
            .utf8)
}

private func subscriptionRows(_ database: TestDatabase) throws -> Int {
    try database.connect().query("SELECT count(*) FROM public.subscriptions")[0].decode(at: 0)
}

/// A JSON document as Foundation objects, comparable across key order and whitespace.
private func json(_ text: String) throws -> NSObject {
    try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) as? NSObject ?? NSNull()
}
