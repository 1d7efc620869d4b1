import Foundation
import HTTPTypes
import Hummingbird
import LedgerCore
import LedgerEngine
import LedgerPostgres
import Logging
import NIOCore
import NIOHTTP1

/// `POST /webhooks/stripe`: verify the signature, validate the event, append it durably, answer.
///
/// The contract with Stripe: a 2xx only once the event is committed (a redelivery gets 200 with its
/// original position), 4xx for input that will never be accepted (Stripe stops retrying), 503 when
/// the database cannot take it now (Stripe retries for days). Never a 2xx for an event that is not
/// stored, never a 500 for bad input.
struct WebhookController<Context: RequestContext> {
    /// `Stripe-Signature`. The failable initializer only refuses names that are not HTTP tokens; the
    /// fallback exists to avoid a force unwrap and is never taken.
    static var stripeSignature: HTTPField.Name { HTTPField.Name("Stripe-Signature") ?? .authorization }

    let secrets: [String]
    let toleranceSeconds: Int64
    let bodyBytesMax: Int
    /// Bounds the unauthenticated bodies read at once (``Limits/webhookBodyReadsInFlightMax``).
    let bodyReads: BodyReadPermits
    let appender: any WebhookAppender
    /// Where signed but invalid bodies are kept (`ledger.rejected_inputs`).
    let writePool: DatabasePool
    let metrics: ServerMetrics
    let logger: Logger

    func addRoutes(to router: Router<Context>) {
        router.post("/webhooks/stripe") { request, context in try await receive(request, context: context) }
    }

    func receive(_ request: Request, context: Context) async throws -> Response {
        guard !secrets.isEmpty else {
            metrics.recordWebhook(.notConfigured)
            throw APIError.unavailable(
                "no webhook signing secret is configured on this server (STRIPE_WEBHOOK_SECRETS or "
                    + "--webhook-secrets-file); the delivery was not stored")
        }
        let body = try await collectBody(request)
        let now = Int64(Date().timeIntervalSince1970)
        let header = request.headers[Self.stripeSignature]
        if case .failure(let failure) = StripeSignature.verify(
            header: header, payload: body, secrets: secrets, now: now, toleranceSeconds: toleranceSeconds)
        {
            switch failure {
            case .timestampOutsideTolerance, .timestampOutOfRange: metrics.recordWebhook(.staleTimestamp)
            case .missingHeader, .malformedHeader, .noSecretsConfigured, .noMatchingSignature:
                metrics.recordWebhook(.badSignature)
            }
            logger.warning(
                "webhook refused: bad signature", metadata: ["reason": "\(failure)", "bytes": "\(body.count)"])
            throw APIError.badRequest("signature verification failed: \(failure)")
        }
        let validated: ValidatedEvent
        switch ValidatedEvent.stripe(body[...]) {
        case .failure(let invalid):
            try await reject(body, reason: invalid.reason)
            throw APIError.badRequest(invalid.description)
        case .success(let checked):
            validated = checked
        }
        let outcome = try await append(validated)
        let event = validated.event
        let duplicate: Bool
        if case .duplicate = outcome { duplicate = true } else { duplicate = false }
        metrics.recordWebhook(duplicate ? .duplicate : .appended)
        logger.debug(
            "webhook stored",
            metadata: [
                "event": "\(event.sourceEventID ?? "")", "type": "\(event.type)", "position": "\(outcome.position)",
                "duplicate": "\(duplicate)",
            ])
        return JSONBody.response(
            .ok, WebhookAccepted(position: outcome.position, duplicate: duplicate, eventId: event.sourceEventID))
    }

    /// The body, exactly as received, bounded in size (413 past the limit, read or announced), in
    /// time (408 past the configured deadline, ``Limits/requestBodyReadSecondsDefault``, see ``RequestBodyDeadlineHandler``) and
    /// in number (503 when ``Limits/webhookBodyReadsInFlightMax`` bodies are being read already).
    /// Every refusal closes the connection: what is left of the body is never read.
    private func collectBody(_ request: Request) async throws -> [UInt8] {
        let close: HTTPFields = [.connection: "close"]
        if let announced = request.headers[.contentLength].flatMap(Int.init), announced > bodyBytesMax {
            metrics.recordWebhook(.tooLarge)
            throw APIError(.contentTooLarge, "request body is larger than \(bodyBytesMax) bytes", headers: close)
        }
        guard bodyReads.acquire() else {
            metrics.recordWebhook(.overCapacity)
            logger.warning(
                "webhook refused: too many bodies being read", metadata: ["in_flight": "\(bodyReads.limit)"])
            throw APIError(
                .serviceUnavailable,
                "\(bodyReads.limit) webhook bodies are being read already; retry in \(Limits.retryAfterSeconds) s",
                headers: [.retryAfter: "\(Limits.retryAfterSeconds)", .connection: "close"])
        }
        defer { bodyReads.release() }
        do {
            let buffer = try await request.body.collect(upTo: bodyBytesMax)
            return Array(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            metrics.recordWebhook(.tooLarge)
            throw APIError(.contentTooLarge, "request body is larger than \(bodyBytesMax) bytes", headers: close)
        } catch let error as RequestBodyTimedOut {
            metrics.recordWebhook(.tooSlow)
            logger.notice("webhook refused: body too slow", metadata: ["error": "\(error)"])
            throw APIError.bodyTimedOut(error)
        } catch let error as HTTPParserError {
            metrics.recordWebhook(.malformedBody)
            logger.notice("webhook refused: malformed body", metadata: ["error": "\(error)"])
            throw APIError.malformedBody(error)
        }
    }

    /// Appends through the appender; a connection that died while idle is retried once on a new one.
    ///
    /// Safe for Stripe events: an event whose first attempt did commit is answered as a duplicate.
    private func append(_ event: ValidatedEvent) async throws -> AppendOutcome {
        let started = ContinuousClock.now
        defer {
            let elapsed = ContinuousClock.now - started
            metrics.recordAppend(
                nanoseconds: elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
            )
        }
        do {
            do {
                return try await appender.append(event)
            } catch let error as PostgresError where error.kind == .connectionLost {
                logger.info("append lost its connection; retrying once", metadata: ["error": "\(error.message)"])
                return try await appender.append(event)
            }
        } catch let error as GroupCommitAppender.Unavailable {
            metrics.recordWebhook(.unavailable)
            throw APIError.unavailable("the event was not stored: \(error.description)")
        } catch {
            metrics.recordWebhook(.unavailable)
            logger.error(
                "webhook append failed", metadata: ["event": "\(event.event.sourceEventID ?? "")", "error": "\(error)"])
            let answer = APIError.from(database: error)
            throw answer.status == .serviceUnavailable
                ? APIError.unavailable("the event was not stored: \(answer.message)", code: answer.code) : answer
        }
    }

    /// Keeps a signed body that is not a valid event in `ledger.rejected_inputs`, then answers 400.
    ///
    /// If it cannot be kept, the answer is 503 instead, so Stripe delivers it again later.
    private func reject(_ body: [UInt8], reason: String) async throws {
        metrics.recordWebhook(.invalidEvent)
        logger.warning("webhook rejected: invalid event", metadata: ["reason": "\(reason)", "bytes": "\(body.count)"])
        do {
            try await writePool.withConnection(retryOnLostConnection: true) { connection in
                try RejectedInputs(connection: connection).record(
                    [.init(origin: "webhook", reason: reason, body: body)], source: EventSource.stripe,
                    receivedAt: EventTime(Date()))
            }
        } catch {
            logger.error("could not keep a rejected webhook", metadata: ["error": "\(error)"])
            throw APIError.unavailable("the invalid event could not be recorded; retry later")
        }
    }
}

/// `{"position": …, "duplicate": …, "event_id": "evt_…"}`: stored (now or before) at `position`.
struct WebhookAccepted: Encodable {
    var position: Int64
    var duplicate: Bool
    var eventId: String?
}
