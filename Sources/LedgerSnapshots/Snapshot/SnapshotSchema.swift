import Foundation
import LedgerCore

/// The layout of a snapshot file (docs/snapshots.md describes it for readers).
///
/// The row tables mirror PostgreSQL's columns with SQLite types: UUIDs as lower-case text,
/// timestamps as ISO 8601 UTC text with microseconds, booleans as 0/1, `metadata` as JSON text.
/// Every table is keyed and `WITHOUT ROWID`, so reading in key order is a scan.
enum SnapshotSchema {
    /// Bumped when the layout changes; a file of another layout is not read. 2 added `mrr_movements`.
    static let formatVersion = 2

    /// The columns of `subscriptions`, shared by snapshots and `ledger export state` files.
    static let subscriptionsColumns = ProjectedTable.subscriptions.sqliteColumnDefinitions

    /// The columns of `payment_transactions`, shared by snapshots and `ledger export state` files.
    static let paymentTransactionsColumns = ProjectedTable.paymentTransactions.sqliteColumnDefinitions

    static let create = """
        CREATE TABLE snapshot_meta (
            format_version INTEGER NOT NULL,
            database_id TEXT NOT NULL,
            position INTEGER NOT NULL,
            chain_hash TEXT NOT NULL,
            projector_version INTEGER NOT NULL,
            subscription_rows INTEGER NOT NULL,
            payment_rows INTEGER NOT NULL,
            parked_events INTEGER NOT NULL,
            reducer_records INTEGER NOT NULL,
            content_digest TEXT NOT NULL,
            created_at TEXT NOT NULL,
            ledger_version TEXT NOT NULL,
            mrr_movements INTEGER NOT NULL
        );
        CREATE TABLE subscriptions (\(subscriptionsColumns)) WITHOUT ROWID;
        CREATE TABLE payment_transactions (\(paymentTransactionsColumns)) WITHOUT ROWID;
        CREATE TABLE parked (
            object_key TEXT PRIMARY KEY,
            position INTEGER NOT NULL,
            event_type TEXT NOT NULL,
            reason TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE reducer_state (
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            state BLOB NOT NULL,
            PRIMARY KEY (kind, key)
        ) WITHOUT ROWID;
        CREATE TABLE mrr_movements (
            source_position INTEGER NOT NULL,
            stripe_subscription_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            stripe_customer_id TEXT,
            day TEXT NOT NULL,
            currency TEXT NOT NULL,
            amount_cents INTEGER NOT NULL,
            mrr_before_cents INTEGER NOT NULL,
            mrr_after_cents INTEGER NOT NULL,
            PRIMARY KEY (source_position, stripe_subscription_id, kind)
        ) WITHOUT ROWID;
        """

    /// The content the digest covers, in digest order (everything but `snapshot_meta`).
    static let digestedTables: [(name: String, orderBy: String)] = [
        ("subscriptions", "id"), ("payment_transactions", "id"), ("parked", "object_key"),
        ("reducer_state", "kind, key"), ("mrr_movements", mrrMovementKey),
    ]

    /// The columns of `mrr_movements`, in table order, and its key (log order).
    static let mrrMovementColumns = """
        source_position, stripe_subscription_id, kind, stripe_customer_id, day, currency, amount_cents,
        mrr_before_cents, mrr_after_cents
        """
    static let mrrMovementKey = "source_position, stripe_subscription_id, kind"

    static func values(_ movement: MRRMovement) -> [SQLiteValue] {
        [
            .integer(movement.sourcePosition), .text(movement.stripeSubscriptionID), .text(movement.kind.rawValue),
            .optionalText(movement.stripeCustomerID), .text(movement.day.description), .text(movement.currency),
            .integer(movement.amountCents), .integer(movement.mrrBeforeCents), .integer(movement.mrrAfterCents),
        ]
    }

    /// A movement read back in ``mrrMovementColumns`` order; nil when a value is missing or malformed.
    static func movement(_ row: SQLiteRow) -> MRRMovement? {
        guard row.columnCount == 9, let subscription = row.text(1),
            let kind = row.text(2).flatMap(MRRMovementKind.init),
            let day = row.text(4).flatMap(UTCDay.init(parsing:)), let currency = row.text(5)
        else { return nil }
        return MRRMovement(
            stripeSubscriptionID: subscription, stripeCustomerID: row.text(3), day: day, kind: kind,
            currency: currency, amountCents: row.int64(6), mrrBeforeCents: row.int64(7), mrrAfterCents: row.int64(8),
            sourcePosition: row.int64(0))
    }

    static func values(_ row: SubscriptionRow) -> [SQLiteValue] {
        [
            .uuid(row.id), .uuid(row.licenseID), .text(row.stripeSubscriptionID), .optionalText(row.stripeCustomerID),
            .text(row.status.rawValue), .text(row.planType.rawValue), .text(row.billingCycle.rawValue),
            .integer(Int64(row.amountCents)), .text(row.currency), .time(row.currentPeriodStart),
            .time(row.currentPeriodEnd), .integer(row.cancelAtPeriodEnd ? 1 : 0), .time(row.canceledAt),
            .time(row.trialStart), .time(row.trialEnd), .time(row.createdAt), .time(row.updatedAt),
            .text(row.metadata),
        ]
    }

    static func values(_ row: PaymentTransactionRow) -> [SQLiteValue] {
        [
            .uuid(row.id), row.subscriptionID.map(SQLiteValue.uuid) ?? .null, .text(row.stripePaymentIntentID),
            .optionalText(row.stripeInvoiceID), .integer(Int64(row.amountCents)), .text(row.currency),
            .text(row.status.rawValue), .optionalText(row.paymentMethod), .optionalText(row.failureReason),
            .integer(Int64(row.refundedAmountCents)), .time(row.processedAt), .time(row.createdAt),
            .time(row.updatedAt), .text(row.metadata),
        ]
    }
}

extension SQLiteValue {
    static func uuid(_ id: UUID) -> SQLiteValue { .text(id.uuidString.lowercased()) }
    static func optionalText(_ text: String?) -> SQLiteValue { text.map { .text($0) } ?? .null }
    static func time(_ time: EventTime?) -> SQLiteValue { time.map { .text($0.description) } ?? .null }
}

extension ProjectionObjectKey {
    /// The object as `parked.object_key` shows it: `subscription:sub_…`, `payment:pi_…`, `event:1234`.
    var snapshotKey: String {
        switch self {
        case .subscription(let id): StreamID.subscription(id).description
        case .payment(let id): StreamID.payment(id).description
        case .event(let position): "event:\(position)"
        }
    }
}
