/// One top-level element cut from an ingest stream by ``JSONDocumentFramer``.
///
/// `bytes` is a slice of the framer's buffers: index it from `bytes.startIndex`,
/// not from 0.
public enum FramedItem: Sendable, Equatable {
    /// The exact bytes of one top-level JSON value (not yet validated) and the 1-based line it starts on.
    case document(bytes: ArraySlice<UInt8>, line: Int)
    /// Bytes that could not be framed as a document, why, and the 1-based line they start on.
    ///
    /// `bytes` holds at most ``Limits/ingestDocumentBytesMax`` bytes, with trailing
    /// whitespace removed; it is empty when the problem is a missing byte (an array
    /// that never closes).
    case malformed(bytes: ArraySlice<UInt8>, line: Int, reason: String)

    /// The 1-based line the item starts on.
    public var line: Int {
        switch self {
        case .document(_, let line), .malformed(_, let line, _): line
        }
    }

    /// The item's bytes, whether framed or not.
    public var bytes: ArraySlice<UInt8> {
        switch self {
        case .document(let bytes, _), .malformed(let bytes, _, _): bytes
        }
    }
}
