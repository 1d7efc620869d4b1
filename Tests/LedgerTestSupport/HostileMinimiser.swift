/// Shrinks a failing hostile log to a small reproducer, for the failure message.
public enum HostileMinimiser {
    /// Most checks one minimisation may run, so a failing round stays bounded in time.
    public static let checksMax = 48

    /// The cases that fail on their own; when none does, the shortest failing prefix with every earlier
    /// case that is not needed for the failure removed (one pass of delta debugging). Each entry is a case
    /// with the problems its reproducer shows.
    public static func reproducers(
        _ cases: [HostileCase], check: ([HostileCase]) async throws -> [String]
    ) async throws -> [String] {
        var checks = 0
        var alone: [String] = []
        for hostile in cases where checks < checksMax {
            checks += 1
            let problems = try await check([hostile])
            if !problems.isEmpty { alone.append("\(hostile)\n  → \(problems.joined(separator: "; "))") }
        }
        guard alone.isEmpty else { return ["cases that fail alone:"] + alone }
        // The shortest failing prefix (the failure may need an earlier case's object to exist).
        var low = 1
        var high = cases.count
        while low < high, checks < checksMax {
            let middle = (low + high) / 2
            checks += 1
            if try await !check(Array(cases.prefix(middle))).isEmpty { high = middle } else { low = middle + 1 }
        }
        var needed = Array(cases.prefix(high))
        var index = 0
        while index < needed.count - 1, checks < checksMax {
            var without = needed
            without.remove(at: index)
            checks += 1
            if try await !check(without).isEmpty { needed = without } else { index += 1 }
        }
        let problems = try await check(needed)
        return ["no case fails alone; these \(needed.count) cases together do (in this order):"]
            + needed.map(\.description) + ["  → \(problems.joined(separator: "; "))"]
    }
}
