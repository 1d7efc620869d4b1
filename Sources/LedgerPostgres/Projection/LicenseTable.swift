import Foundation
import LedgerCore

/// The `licenses` table as the mapping reads it (``LicenseDirectory``): every license's id, key and plan
/// type, read once. Only a log whose mapping reads `licenses` loads it (``loadIfTheMappingReadsIt(_:)``).
public struct LicenseTable: LicenseDirectory {
    static let selectAll = "SELECT id, license_key, plan_type FROM public.licenses"

    private let byID: [UUID: LicenseFacts]
    private let byKey: [String: LicenseFacts]

    /// Every row of `public.licenses`.
    public init(connection: PostgresConnection) throws {
        var byID: [UUID: LicenseFacts] = [:]
        var byKey: [String: LicenseFacts] = [:]
        for row in try connection.query(Self.selectAll, [], resultFormat: .binary) {
            let facts = LicenseFacts(
                id: try row.decode(UUID.self, at: 0), planType: PlanType(rawValue: try row.decode(String.self, at: 2)))
            byID[facts.id] = facts
            byKey[try row.decode(String.self, at: 1)] = facts
        }
        self.byID = byID
        self.byKey = byKey
    }

    /// The table when some mapping setting in the log reads it, else nil (the default mapping never does).
    public static func loadIfTheMappingReadsIt(_ connection: PostgresConnection) throws -> LicenseTable? {
        let settings = try EventStore(connection: connection).mappingSettings()
        guard settings.contains(where: { $0.setting.mapping.readsLicenses }) else { return nil }
        return try LicenseTable(connection: connection)
    }

    /// The table when one of `settings`, mapping setting events already read from the log, reads it, else nil.
    public static func loadIfOneReadsIt(_ settings: [RecordedEvent], _ connection: PostgresConnection) throws
        -> LicenseTable?
    {
        settings.contains(where: MappingSetting.settlesAMappingThatReadsLicenses)
            ? try LicenseTable(connection: connection) : nil
    }

    public func license(key: String) -> LicenseFacts? { byKey[key] }
    public func license(id: UUID) -> LicenseFacts? { byID[id] }

    /// Number of licenses read.
    public var count: Int { byID.count }
}
