import ArgumentParser
import Foundation
import LedgerPostgres
import Synchronization

/// `--progress`: show progress on standard error even when it is not a terminal (a CI log, a file).
struct ProgressOptions: ParsableArguments {
    @Flag(help: "Show progress on standard error even when it is not a terminal (one line a second).")
    var progress = false

    func makeLine(_ activity: String) -> ProgressLine { ProgressLine(activity, forced: progress) }
}

/// A one-line progress report on standard error: `projecting 1,000 of 68,611 events (1.5 %), 12,000/s, ETA 0:05`.
///
/// Shown on a terminal (redrawn in place at most every 200 ms, so reporting from a hot loop costs little), or with
/// `--progress` as a plain line a second. Never on standard output, so it cannot mix into `--json` output.
/// Safe to call from several threads (segments of `verify` report concurrently).
final class ProgressLine: Sendable {
    /// What the redraws share, changed under one lock.
    struct Drawing {
        var lastDraw = ContinuousClock.now
        var drawn = false
        /// The first count reported and when: the rate is measured from there, not from zero.
        var first: (count: Int64, at: ContinuousClock.Instant)?
    }

    private let activity: String
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private let isShown: Bool
    private let drawing = Mutex(Drawing())

    init(_ activity: String = "", forced: Bool = false) {
        self.activity = activity
        isShown = isTerminal || forced
    }

    /// Reports `done` of `total` (nil when unknown): count, percent, rate and time left. A total that the
    /// work outgrew (the log grew while it ran) is raised to `done`.
    func update(_ done: Int64, of total: Int64?, unit: String = "events", detail: @autoclosure () -> String = "") {
        let total = total.map { max($0, done) }
        guard isShown else { return }
        let now = ContinuousClock.now
        let started = drawing.withLock { drawing in
            if drawing.first == nil { drawing.first = (done, now) }
            return drawing.first ?? (done, now)
        }
        let seconds = (now - started.at) / .seconds(1)
        let rate = seconds > 0.5 ? Double(done - started.count) / seconds : nil
        update(Self.describe(activity, done: done, of: total, unit: unit, rate: rate) + detail())
    }

    /// Redraws the line with `text` if enough time has passed.
    func update(_ text: @autoclosure () -> String) {
        guard isShown else { return }
        let now = ContinuousClock.now
        drawing.withLock { drawing in
            guard now - drawing.lastDraw >= (isTerminal ? .milliseconds(200) : .seconds(1)) else { return }
            drawing.lastDraw = now
            drawing.drawn = true
            let line = isTerminal ? "\r\u{1B}[K\(text())" : "\(text())\n"
            FileHandle.standardError.write(Data(line.utf8))
        }
    }

    /// Clears the line before the final report.
    func finish() {
        drawing.withLock { drawing in
            guard isTerminal, drawing.drawn else { return }
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        }
    }

    /// `projecting 1,000 of 68,611 events (1.5 %), 12,000/s, ETA 0:05`; parts not known yet are left out.
    static func describe(_ activity: String, done: Int64, of total: Int64?, unit: String, rate: Double?) -> String {
        var text = (activity.isEmpty ? "" : activity + " ") + grouped(done)
        if let total { text += " of \(grouped(total))" }
        text += " \(unit)"
        if let total, total > 0 { text += String(format: " (%.1f %%)", Double(min(done, total)) * 100 / Double(total)) }
        guard let rate, rate > 0 else { return text }
        text += ", \(grouped(Int64(rate.rounded())))\(unit == "events" ? "" : " " + unit)/s"
        if let total, total > done { text += ", ETA " + clock(Double(total - done) / rate) }
        return text
    }

    /// `68611` → `68,611`.
    static func grouped(_ number: Int64) -> String {
        let digits = String(number.magnitude)
        var result = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { result += "," }
            result.append(digit)
        }
        return (number < 0 ? "-" : "") + result
    }

    /// Seconds as `m:ss`, or `h:mm:ss` from an hour.
    static func clock(_ seconds: Double) -> String {
        let total = Int(min(seconds, 359_999).rounded(.up))
        let (hours, minutes, rest) = (total / 3600, total / 60 % 60, total % 60)
        return hours > 0
            ? String(format: "%d:%02d:%02d", hours, minutes, rest) : String(format: "%d:%02d", minutes, rest)
    }
}

/// The log's newest position, for a progress total; nil when it cannot be read (the command reports that itself).
func logHeadPosition(_ database: DatabaseOptions) -> Int64? {
    try? EventStore(connection: database.connect()).head().position
}
