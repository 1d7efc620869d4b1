import LedgerCore

extension HistoryGenerator {
    /// SQL that seeds the `users` and `licenses` rows the generated subscriptions reference, as statements of ≤1000 rows.
    ///
    /// Rows are idempotent (`ON CONFLICT DO NOTHING`) and derived from the
    /// same per-customer streams as the events, so ids always match.
    public func fixturesSQL() -> FixturesSQL {
        FixturesSQL(configuration: configuration)
    }

    /// The statements of the fixtures SQL, produced lazily: `BEGIN`, INSERT batches, `COMMIT`.
    public struct FixturesSQL: Sequence, Sendable {
        let configuration: Configuration

        /// Starts at `BEGIN;`.
        public func makeIterator() -> Iterator {
            Iterator(customers: configuration.customers, seed: configuration.seed)
        }

        /// Yields one SQL statement (ending in `;\n`) at a time.
        public struct Iterator: IteratorProtocol {
            private let customers: Int
            private let seed: UInt64
            private var nextCustomer = 0
            private var pendingLicenses: String?
            private var stage = 0

            init(customers: Int, seed: UInt64) {
                self.customers = customers
                self.seed = seed
            }

            /// The next statement, or nil after `COMMIT`.
            public mutating func next() -> String? {
                if let licenses = pendingLicenses {
                    pendingLicenses = nil
                    return licenses
                }
                switch stage {
                case 0:
                    stage = 1
                    return
                        "-- Users and licenses referenced by `ledger generate --customers \(customers) --seed \(seed)`.\nBEGIN;\n"
                case 1 where nextCustomer < customers:
                    return nextBatch()
                case 1:
                    stage = 2
                    return "COMMIT;\n"
                default:
                    return nil
                }
            }

            /// Users first, then their licenses, so the foreign key holds inside each batch.
            private mutating func nextBatch() -> String {
                let end = Swift.min(customers, nextCustomer + Limits.generateSQLInsertRowsMax)
                var users = "INSERT INTO users (id, email, password_hash) VALUES\n"
                var licenses = "INSERT INTO licenses (id, user_id, license_key, plan_type, status) VALUES\n"
                for customer in nextCustomer..<end {
                    var random = Random(seed: seed, stream: StreamID.customer, index: UInt64(customer))
                    let profile = CustomerProfile(index: customer, random: &random)
                    let separator = customer + 1 == end ? "\n" : ",\n"
                    users +=
                        "  (\(quoted(profile.userID)), \(quoted(profile.email)), \(quoted(Iterator.passwordHash)))"
                        + separator
                    licenses +=
                        "  (\(quoted(profile.licenseID)), \(quoted(profile.userID)), "
                        + "\(quoted(profile.licenseKey)), \(quoted(profile.plan.rawValue)), 'active')" + separator
                }
                nextCustomer = end
                pendingLicenses = licenses + "ON CONFLICT DO NOTHING;\n"
                return users + "ON CONFLICT DO NOTHING;\n"
            }

            /// A bcrypt-shaped placeholder: demo users cannot log in with any password.
            private static let passwordHash = "$2b$12$" + String(repeating: "x", count: 53)

            /// A seed file has no bind parameters; values are generated ids, and quotes are still doubled for safety.
            private func quoted(_ value: String) -> String {
                var literal = "'"
                for character in value {
                    literal += character == "'" ? "''" : String(character)
                }
                return literal + "'"
            }
        }
    }
}
