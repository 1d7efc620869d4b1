import Foundation
import Hummingbird
import LedgerCore
import LedgerEngine
import LedgerPostgres
import Logging

extension ConsoleController {
    /// `GET /ui/inbox[?reason=…]`: what needs a person — parked objects grouped by the kind of reason with the
    /// fix (``ParkedReport``, as `ledger parked` and `GET /v1/parked`), and rejected inputs with their reason
    /// (``RejectedInputList``, as `ledger rejected` and `GET /v1/rejected`).
    func inboxPage(_ request: Request, logger: Logger) async throws -> Response {
        try await signedIn(request) { frame in
            var pageFrame = frame
            pageFrame.title = "Inbox"
            pageFrame.focusSearch = false
            let frame = pageFrame
            var reason: String?
            var message: String?
            do {
                let query = try QueryParameters(
                    request.uri,
                    accepted: [
                        "reason": "a kind of reason (missing_license, …) or words of the reason, at most 64 bytes"
                    ],
                    logger: logger)
                reason = try query.text("reason")?.trimmingCharacters(in: .whitespaces)
            } catch let error as APIError {
                message = error.message
            }
            let filter = reason.flatMap { $0.isEmpty ? nil : $0 }
            let (parked, rejected) = try await database { connection in
                (try ParkedReport.read(connection, reason: filter), try RejectedInputList.read(connection))
            }
            var page = InboxPage(
                frame: frame, reason: filter ?? "", message: message, parked: parked, rejected: rejected)
            page.lastVerify = try await database { connection in try VerifyRunStore(connection: connection).latest() }
                .map(RunView.init)
            page.hasLastVerify = page.lastVerify != nil
            return pages.render("inbox", page, status: message == nil ? .ok : .badRequest)
        }
    }
}

// MARK: - What the template renders

struct InboxPage {
    var frame: PageFrame
    var reason: String
    var filtered: Bool
    var message: String?
    var parkedTotal: Int
    var hasParked: Bool
    var groups: [InboxGroup]
    var rejectedTotal: Int
    var hasRejected: Bool
    var rejected: [InboxRejected]
    /// Rejected inputs not listed (the oldest ``Limits/rejectedInputsListedMax`` are), and the `--since` to see them.
    var rejectedMore: Int
    var hasMoreRejected: Bool
    var rejectedNextSince: String
    /// The newest recorded verify run: the drift it found (ConsoleIntegrity.swift).
    var lastVerify: RunView? = nil
    var hasLastVerify = false

    init(frame: PageFrame, reason: String, message: String?, parked: ParkedReport, rejected: RejectedInputList) {
        self.frame = frame
        self.reason = reason
        filtered = !reason.isEmpty
        self.message = message
        parkedTotal = parked.total
        hasParked = parked.total > 0
        groups = parked.groups.map(InboxGroup.init)
        rejectedTotal = rejected.total
        hasRejected = rejected.total > 0
        self.rejected = rejected.inputs.map(InboxRejected.init)
        rejectedMore = rejected.total - rejected.inputs.count
        hasMoreRejected = rejectedMore > 0
        rejectedNextSince = rejected.inputs.last?.receivedAt ?? ""
    }
}

/// The parked objects of one kind of reason.
struct InboxGroup {
    var kind: String
    var count: Int
    var fix: [String]
    var objects: [InboxParked]
    /// Objects counted but not listed (at most ``Limits/parkedObjectsListedMax`` are).
    var more: Int
    var hasMore: Bool

    init(_ group: ParkedReport.Group) {
        kind = group.kind.rawValue
        count = group.count
        fix = group.fix
        objects = group.objects.map(InboxParked.init)
        more = group.count - group.objects.count
        hasMore = more > 0
    }
}

struct InboxParked {
    var objectID: String
    /// The object's page, when the id names one (`position:N` names none).
    var href: String?
    var position: Int64
    var eventType: String
    var reason: String
    var projection: String

    init(_ object: ParkedReport.Object) {
        objectID = object.objectID
        href =
            switch try? AuditReference(parsing: object.objectID) {
            case .subscription(let id): ConsoleObject.subscription(id).path
            case .paymentIntent(let id): ConsoleObject.payment(id).path
            case .customer(let id): ConsoleObject.customer(id).path
            case .subscriptionRowID, nil: nil
            }
        position = object.position
        eventType = object.eventType
        reason = object.reason
        projection = object.projection
    }
}

struct InboxRejected {
    var id: Int64
    var receivedAt: String
    var source: String
    var origin: String
    var reason: String
    var bodyBytes: Int64
    var conflictsWithPosition: Int64?

    init(_ input: RejectedInputList.Input) {
        id = input.id
        receivedAt = input.receivedAt
        source = input.source
        origin = input.origin
        reason = input.reason
        bodyBytes = input.bodyBytes
        conflictsWithPosition = input.conflictsWithPosition
    }
}
