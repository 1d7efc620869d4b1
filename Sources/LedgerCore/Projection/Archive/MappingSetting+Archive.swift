import Foundation

/// The archive form of the mapping in effect: the position of its setting, then its JSON (``MappingSetting``'s).
struct ArchivedMapping: ArchiveCodable {
    /// The record key it is stored under (kind ``ReducerRecord/Kind/ledger``).
    static let recordKey = "mapping"

    var mapping: ProjectionMapping
    var position: Int64

    init(mapping: ProjectionMapping, position: Int64) {
        self.mapping = mapping
        self.position = position
    }

    func write(to writer: inout ArchiveWriter) {
        writer.write(position)
        // Encoding a mapping cannot fail: its values are strings, plan types and booleans.
        let json = (try? LedgerJSON.encoder().encode(mapping)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        writer.write(json)
    }

    init(from reader: inout ArchiveReader) throws(ReducerArchiveError) {
        position = try reader.read("mapping.position")
        let json: String = try reader.read("mapping.json")
        guard let mapping = try? JSONDecoder().decode(ProjectionMapping.self, from: Data(json.utf8)) else {
            throw reader.invalid("mapping '\(DisplayText.escaped(json))' is not a mapping")
        }
        self.mapping = mapping
    }
}
