import Foundation
import PackagePlugin

/// Compiles files of the repository into a target as Swift string constants, at build time.
///
/// So a copied or installed `ledger` carries its migrations and its OpenAPI document: nothing is
/// looked up beside the binary or in the checkout that built it. The files stay the one source,
/// where they are reviewed (`db/migrations`, `docs/openapi.yaml`); the generated Swift lives in the
/// build folder only, never in git. `EmbedFilesTool` writes it.
@main
struct EmbedFiles: BuildToolPlugin {
    /// What each target embeds: the name of each generated enum and the package paths it holds.
    /// A folder embeds every file in it, so a new migration or template needs no change here.
    static let embeddings: [String: [(enumName: String, paths: [String])]] = [
        "LedgerPostgres": [("EmbeddedMigrations", ["db/migrations"])],
        // The audit console's templates and stylesheet (console/) beside the OpenAPI document.
        "LedgerServer": [("EmbeddedOpenAPI", ["docs/openapi.yaml"]), ("EmbeddedConsole", ["console"])],
    ]

    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        guard let embeddings = Self.embeddings[target.name] else {
            throw EmbedFilesError("EmbedFiles has nothing to embed in target \(target.name); add it to `embeddings`")
        }
        return try embeddings.map { enumName, paths in
            let sources = paths.map { context.package.directoryURL.appending(path: $0) }
            let output = context.pluginWorkDirectoryURL.appending(path: "\(enumName).swift")
            return .buildCommand(
                displayName: "Embedding \(paths.joined(separator: ", ")) in \(target.name)",
                executable: try context.tool(named: "EmbedFilesTool").url,
                arguments: [output.path, enumName] + sources.map(\.path),
                inputFiles: try sources.flatMap(Self.inputs),
                outputFiles: [output])
        }
    }

    /// What the generated file depends on: a file, or a folder and each file in it.
    ///
    /// SwiftPM runs this plugin only when it plans the build (when `Package.swift` or a target's
    /// folder changes), not on every build, so the tool lists folders itself when it runs. A file
    /// edited in place reruns it as an input; a file added or removed changes the folder's own
    /// modification time, which reruns it too. One case is left: a file that was here when the build
    /// was last planned and is then deleted or renamed stops the build with "missing inputs" until
    /// SwiftPM plans again — `touch Package.swift` makes it.
    static func inputs(_ url: URL) throws -> [URL] {
        guard try url.resourceValues(forKeys: [.isDirectoryKey]).isDirectory == true else { return [url] }
        let names = try FileManager.default.contentsOfDirectory(atPath: url.path)
        return [url] + names.filter { !$0.hasPrefix(".") }.sorted().map { url.appending(path: $0) }
    }
}

/// Why the plugin cannot say what to build; SwiftPM prints the description.
struct EmbedFilesError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
