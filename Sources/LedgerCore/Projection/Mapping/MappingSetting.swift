import Foundation

/// The native event that records a new ``ProjectionMapping`` (`ledger mapping set`).
///
/// Stream ``streamID``, type ``type``, source `ledger`, body
/// `{"actor":"…","mapping":{"license":[…],"plan_type":[…]},"reason":"…"}`. From its position on, every
/// subscription is mapped by it: the rows it changes change at that position, in catch-up and rebuild alike.
public struct MappingSetting: LedgerSetting, Sendable, Equatable, Codable {
    /// The stream every mapping setting is appended to.
    public static let streamID = StreamID(.ledger, "mapping").description
    /// The stored type string.
    public static let type = "ledger.mapping_set"

    public var mapping: ProjectionMapping
    public var reason: String
    public var actor: String

    public init(mapping: ProjectionMapping, reason: String, actor: String) {
        self.mapping = mapping
        self.reason = reason
        self.actor = actor
    }

    /// The setting a body holds, or why it holds none.
    public static func read(body: [UInt8]) -> Result<MappingSetting, MappingSettingError> {
        do {
            return .success(try JSONDecoder().decode(MappingSetting.self, from: Data(body)))
        } catch let error as DecodingError {
            return .failure(MappingSettingError(message: Self.describe(error)))
        } catch {
            return .failure(MappingSettingError(message: "\(error)"))
        }
    }

    /// Whether `event` is a mapping setting whose mapping reads `licenses` (a body that holds no mapping reads
    /// nothing): what tells a replay it needs the table.
    public static func settlesAMappingThatReadsLicenses(_ event: RecordedEvent) -> Bool {
        guard isSetting(event), case .success(let setting) = read(body: event.body) else { return false }
        return setting.mapping.readsLicenses
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let context), .typeMismatch(_, let context), .valueNotFound(_, let context):
            return context.debugDescription
        case .keyNotFound(let key, _):
            return "no \(key.stringValue)"
        @unknown default:
            return "\(error)"
        }
    }
}

/// Why a mapping setting's body is not a mapping.
public struct MappingSettingError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var description: String { DisplayText.escaped(message, charactersMax: 200) }
}

extension ProjectionState {
    /// A `ledger mapping set` event: from here on every subscription is mapped by the new rules.
    mutating func applyMappingSetting(_ event: RecordedEvent) -> ApplyOutcome {
        let setting: MappingSetting
        switch MappingSetting.read(body: event.body) {
        case .success(let read): setting = read
        case .failure(let error): return .ignored(.invalidSetting("the body is not a mapping: \(error)"))
        }
        mappingPosition = event.position
        guard setting.mapping != mapping else { return .applied }
        changeRulesOfAllSubscriptions { $0.mapping = setting.mapping }
        return .applied
    }
}
