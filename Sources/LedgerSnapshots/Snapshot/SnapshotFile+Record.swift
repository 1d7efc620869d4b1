import LedgerCore

extension SnapshotMeta {
    /// What the log records for this snapshot when it is written.
    public var record: SnapshotRecord {
        SnapshotRecord(
            position: position, chainHash: chainHash, projectorVersion: projectorVersion, formatVersion: formatVersion,
            contentDigest: contentDigest)
    }
}

extension SnapshotFile {
    /// Checks the file against the log's snapshot records (each with its log position): one must name
    /// this position, projector version, format, chain hash and content digest.
    ///
    /// The file's own digest only proves the rows were not changed *without* recomputing it; the record
    /// is in the hash-chained log, where a recomputed digest cannot follow.
    public func verifyRecorded(in records: [(position: Int64, record: SnapshotRecord)]) throws(SnapshotProblem) {
        let expected = meta.record
        let candidates = records.filter {
            $0.record.position == expected.position && $0.record.projectorVersion == expected.projectorVersion
        }
        if candidates.contains(where: { $0.record == expected }) { return }
        guard let differing = candidates.last else { throw .notRecorded(position: meta.position) }
        throw .contentDiffersFromRecord(recordPosition: differing.position)
    }
}
