import LedgerCore

extension BenchmarkReads {
    /// A reader of the whole log whose pace `ledger-bench reads` compares with what PostgreSQL itself sends.
    public enum LogReader: String, CaseIterable, Sendable {
        /// `ledger verify`'s chain pass.
        case verify
        /// `ledger export events`.
        case export
        /// `ledger rebuild` (and every replay of the log into the projections).
        case rebuild

        /// The columns it reads from `ledger.events`, in its order: the raw read copies exactly these.
        public var columns: String {
            switch self {
            case .verify, .export, .rebuild: EventStore.eventColumns
            }
        }
    }

    /// The raw read rate's numerator: a binary `COPY` of `reader`'s columns for the events after `after` through
    /// `through`, in position order, every message dropped as it arrives; returns the rows the server sent.
    ///
    /// The statement is the one ``EventStore/copyEvents(after:through:_:)`` runs, with the reader's columns: what
    /// the server does for the same rows when the client does nothing with them.
    public func rawCopy(_ reader: LogReader, after: Int64, through: Int64) throws -> Int64 {
        try connection.query(EventStore.setExportRange, [String(after), String(through)])
        return Int64(try connection.copyOut(EventStore.copyRange(of: reader.columns)) { _ in })
    }
}
