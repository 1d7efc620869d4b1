// EmbedFilesTool OUTPUT ENUM PATH... — writes OUTPUT, a Swift file declaring `enum ENUM` whose
// `files` hold the name and text of each PATH, or of each file in a PATH that is a folder.
// Run at build time by the EmbedFiles plugin (Plugins/EmbedFiles), not by hand.
import Foundation

/// Why a file cannot be embedded; printed, and the build stops.
struct EmbedError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// `path` itself, or for a folder each file in it by name, hidden ones skipped (as the plugin lists
/// them as inputs). Listed here, when the command runs, so a file added since SwiftPM last ran the
/// plugin is included.
func files(at path: String) throws -> [URL] {
    let url = URL(fileURLWithPath: path)
    guard try url.resourceValues(forKeys: [.isDirectoryKey]).isDirectory == true else { return [url] }
    let names = try FileManager.default.contentsOfDirectory(atPath: path).filter { !$0.hasPrefix(".") }.sorted()
    return names.map { url.appendingPathComponent($0) }
}

/// The file's text, refused unless a raw string literal gives back the same bytes: valid UTF-8 with
/// no control character but tab and line feed (Swift reads CR LF in a literal as LF and refuses the
/// other control characters in source). Migrations are checksummed: one changed byte would read as
/// an edited migration.
func text(of url: URL) throws -> String {
    guard try url.resourceValues(forKeys: [.isDirectoryKey]).isDirectory != true else {
        throw EmbedError("\(url.path) is a folder; only the files directly in a folder are embedded")
    }
    guard let text = String(data: try Data(contentsOf: url), encoding: .utf8) else {
        throw EmbedError("\(url.path) is not UTF-8 text")
    }
    for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        if let bad = line.unicodeScalars.first(where: { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7F }) {
            throw EmbedError(
                "\(url.path):\(number + 1) has the control character U+\(String(bad.value, radix: 16, uppercase: true)); "
                    + "embedded files must have LF line endings and no control character but tab")
        }
    }
    return text
}

/// `text` as a multi-line raw string literal. Its delimiter has one `#` more than the longest run of
/// `#` in the text, so nothing inside can close it or start an escape; the closing delimiter begins
/// its line, so no indentation is stripped.
func literal(_ text: String) -> String {
    var longest = 0
    var run = 0
    for character in text {
        run = character == "#" ? run + 1 : 0
        longest = max(longest, run)
    }
    let hashes = String(repeating: "#", count: longest + 1)
    return "\(hashes)\"\"\"\n\(text)\n\"\"\"\(hashes)"
}

/// The Swift source declaring `enumName` with the files at `paths`.
func generate(enumName: String, paths: [String]) throws -> String {
    let files = try paths.flatMap(files(at:))
    var source = """
        // Generated at build time by the EmbedFiles plugin (Plugins/EmbedFiles) from
        // \(paths.joined(separator: ", ")); edit those, not this.

        /// Files of the repository compiled in: each one's name and its whole text.
        enum \(enumName) {
            static let files: [(name: String, text: String)] = [

        """
    for file in files {
        let name = file.lastPathComponent
        // The name goes into an ordinary string literal: refuse what it would have to escape.
        guard !name.contains(where: { $0 == "\"" || $0 == "\\" || $0.isNewline }) else {
            throw EmbedError("\(file.path): a name with a quote, backslash or line break cannot be embedded")
        }
        guard files.filter({ $0.lastPathComponent == name }).count == 1 else {
            throw EmbedError("more than one file to embed is named \(name)")
        }
        source += "        (\n            \"\(name)\",\n\(literal(try text(of: file)))\n        ),\n"
    }
    return source + "    ]\n}\n"
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= 3 else {
    FileHandle.standardError.write(Data("usage: EmbedFilesTool OUTPUT ENUM PATH...\n".utf8))
    exit(2)
}
do {
    let source = try generate(enumName: arguments[1], paths: Array(arguments[2...]))
    try Data(source.utf8).write(to: URL(fileURLWithPath: arguments[0]), options: .atomic)
} catch {
    FileHandle.standardError.write(Data("EmbedFilesTool: \(error)\n".utf8))
    exit(1)
}
