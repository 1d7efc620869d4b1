import Foundation

/// The one JSON encoder configuration behind every JSON the ledger prints or serves: CLI `--json`, the HTTP API,
/// export summaries.
///
/// Keys are snake_case (`head_position`), converted from the Swift property names, so a type never needs
/// hand-written keys to match: a key written by hand in camelCase is converted like a property name, and one
/// already in snake_case passes through unchanged. Dictionary keys (user data such as Stripe metadata) are never
/// converted. Keys are sorted and slashes unescaped, so equal values print byte-identically; dates are ISO 8601.
public enum LedgerJSON {
    /// An encoder for pretty-printed (`pretty`) or one-line JSON.
    public static func encoder(pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting =
            pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// A decoder for what ``encoder(pretty:)`` printed: snake_case keys to property names, ISO 8601 dates.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
