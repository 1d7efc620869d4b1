import LedgerCore

extension EventStore {
    /// The mapping settings the log holds (stream `ledger:mapping`), in log order, with their positions.
    ///
    /// Settings whose body is not a mapping are left out: the projection ignores them too.
    public func mappingSettings() throws -> [(position: Int64, setting: MappingSetting)] {
        var settings: [(position: Int64, setting: MappingSetting)] = []
        var version: Int64 = 1
        while true {
            let page = try readStream(MappingSetting.streamID, from: version)
            for event in page where MappingSetting.isSetting(event) {
                if case .success(let setting) = MappingSetting.read(body: event.body) {
                    settings.append((event.position, setting))
                }
            }
            guard let last = page.last else { return settings }
            version = last.streamVersion + 1
        }
    }

    /// The mapping in effect at the log's head and the position that set it (nil: the default, never set).
    public func currentMapping() throws -> (mapping: ProjectionMapping, position: Int64?) {
        guard let last = try mappingSettings().last else { return (.default, nil) }
        return (last.setting.mapping, last.position)
    }
}
