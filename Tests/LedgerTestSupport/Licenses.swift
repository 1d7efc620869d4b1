import Foundation
import LedgerPostgres

/// Inserts a user and the license `id` with plan `pro`, as the application does when it creates one.
public func insertLicense(_ id: UUID, into connection: PostgresConnection) throws {
    let user = UUID()
    try connection.query(
        "INSERT INTO public.users (id, email, password_hash) VALUES ($1::uuid, $2, 'x')",
        [user.uuidString, "\(user.uuidString.lowercased())@example.com"])
    try connection.query(
        "INSERT INTO public.licenses (id, user_id, license_key, plan_type) VALUES ($1::uuid, $2::uuid, $3, 'pro')",
        [id.uuidString, user.uuidString, "key-\(id.uuidString.lowercased())"])
}
