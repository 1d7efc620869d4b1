import ArgumentParser

/// A subcommand name that is not one, with the closest real one: "unknown command 'projet'. Did you
/// mean 'project'?".
///
/// Looked for only after parsing failed, by walking the arguments down the command tree: a word where
/// a command expects a subcommand and that names none is the mistake.
struct UnknownCommand: CustomStringConvertible {
    /// The commands above the unknown word (`["migrate"]` for `ledger migrate sideways`).
    var parents: [String]
    var given: String
    /// The known subcommands at that level, in the order `--help` lists them.
    var known: [String]

    /// The unknown subcommand `arguments` name below `root`; nil when there is none (the parse failed
    /// for another reason).
    static func find(in arguments: [String], root: any ParsableCommand.Type) -> UnknownCommand? {
        var command = root
        var parents: [String] = []
        for argument in arguments {
            // Options, and ArgumentParser's own `help` word, are not subcommand names to judge here.
            guard !argument.hasPrefix("-"), argument != "help" else { return nil }
            let subcommands = command.configuration.subcommands.filter { $0.configuration.shouldDisplay }
            guard !subcommands.isEmpty, command.configuration.defaultSubcommand == nil else { return nil }
            guard let next = subcommands.first(where: { names(of: $0).contains(argument) }) else {
                return UnknownCommand(parents: parents, given: argument, known: subcommands.map { $0._commandName })
            }
            command = next
            parents.append(argument)
        }
        return nil
    }

    static func names(of command: any ParsableCommand.Type) -> [String] {
        [command._commandName] + command.configuration.aliases
    }

    /// The known name closest to what was typed, if one is close enough to be what was meant.
    var suggestion: String? {
        let scored = known.map { name in
            (name, name.hasPrefix(given) ? 0 : editDistance(given.lowercased(), name))
        }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(1, min(2, given.count / 3)) else {
            return nil
        }
        return best.0
    }

    var description: String {
        let prefix = parents.map { $0 + " " }.joined()
        let help = (["ledger"] + parents).joined(separator: " ")
        if let suggestion {
            return "unknown command '\(prefix)\(given)'. Did you mean '\(prefix)\(suggestion)'?"
        }
        return "unknown command '\(prefix)\(given)'. The commands of '\(help)' are: "
            + known.joined(separator: ", ") + " (see '\(help) --help')"
    }
}

/// Edits (insert, delete, replace, swap two neighbours) that turn `a` into `b`.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    guard !a.isEmpty else { return b.count }
    guard !b.isEmpty else { return a.count }
    var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { table[i][0] = i }
    for j in 0...b.count { table[0][j] = j }
    for i in 1...a.count {
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
            if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
            }
        }
    }
    return table[a.count][b.count]
}
