/// The archive form of the ledger's mode: the mode's name, then the position that fixed it.
extension FixedMode: ArchiveCodable {
    /// The record key the mode is stored under (kind ``ReducerRecord/Kind/ledger``).
    static let recordKey = "mode"

    func write(to writer: inout ArchiveWriter) {
        writer.write(mode.rawValue)
        writer.write(position)
    }

    init(from reader: inout ArchiveReader) throws(ReducerArchiveError) {
        let name: String = try reader.read("mode.name")
        guard let mode = LedgerMode(rawValue: name) else {
            throw reader.invalid("mode '\(name)' is neither live nor test")
        }
        self.init(mode: mode, position: try reader.read("mode.position"))
    }
}
