import Foundation
import LedgerCore
import LedgerPostgres

/// What an audit is about, as a user names it on the command line.
public enum AuditReference: Sendable, Hashable, CustomStringConvertible {
    /// A Stripe subscription id, `sub_…`.
    case subscription(String)
    /// A `subscriptions.id` (UUIDv5 of the Stripe id), resolved through the projected table.
    case subscriptionRowID(UUID)
    /// A Stripe customer id, `cus_…`: all of the customer's subscriptions and payments.
    case customer(String)
    /// A Stripe PaymentIntent id, `pi_…`.
    case paymentIntent(String)

    /// Reads `text` by its prefix (`sub_`, `cus_`, `pi_`) or as a UUID.
    public init(parsing text: String) throws(InvalidAuditReference) {
        let text = text.trimmingCharacters(in: .whitespaces)
        guard text.utf8.count <= Limits.sourceEventIDBytesMax else { throw InvalidAuditReference(text: text) }
        if text.hasPrefix("sub_"), text.count > 4 {
            self = .subscription(text)
        } else if text.hasPrefix("cus_"), text.count > 4 {
            self = .customer(text)
        } else if text.hasPrefix("pi_"), text.count > 3 {
            self = .paymentIntent(text)
        } else if let id = UUID(uuidString: text) {
            self = .subscriptionRowID(id)
        } else {
            throw InvalidAuditReference(text: text)
        }
    }

    public var description: String {
        switch self {
        case .subscription(let id), .customer(let id), .paymentIntent(let id): id
        case .subscriptionRowID(let id): id.uuidString.lowercased()
        }
    }
}

/// A reference that is none of the accepted forms.
public struct InvalidAuditReference: Error, Sendable, CustomStringConvertible {
    public var text: String

    public var description: String {
        "'\(text)' is not a subscription (sub_…), a subscription UUID, a customer (cus_…) or a PaymentIntent (pi_…)"
    }
}

/// A reference the log (or, for a UUID, the projected table) knows nothing about.
public struct AuditReferenceNotFound: Error, Sendable, CustomStringConvertible {
    public var reference: AuditReference

    public var description: String {
        switch reference {
        case .subscriptionRowID(let id):
            "no row of subscriptions has id \(id.uuidString.lowercased()) (a UUID is resolved through the projected "
                + "table; a subscription that never had a row is found by its sub_… id)"
        case .subscription(let id): "the log has no event of subscription \(id)"
        case .customer(let id): "the log has no event naming customer \(id)"
        case .paymentIntent(let id): "the log has no event of PaymentIntent \(id)"
        }
    }
}
