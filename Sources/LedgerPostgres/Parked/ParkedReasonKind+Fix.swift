extension ParkedReasonKind {
    /// What a user can do about objects parked for this reason, one action per entry, most direct first.
    ///
    /// The one place this text lives: `ledger parked` and `GET /v1/parked` print it. A new way to fix a
    /// kind (a `ledger correct …` subcommand, a mapping rule) is one more entry here.
    public var fix: [String] {
        switch self {
        case .missingLicense, .unknownLicenseKey:
            [
                "insert the missing row into licenses (its id or license_key is in the reason); the projector "
                    + "rechecks parked subscriptions when licenses changes, and ledger project rechecks on every run",
                "or assign an existing license: ledger correct license SUB_ID --license UUID --reason TEXT",
                "or set the Stripe subscription's metadata to name an existing licenses row",
            ]
        case .missingLicenseID, .invalidLicenseID:
            [
                "tell the ledger where your subscriptions name their license: ledger mapping set --license "
                    + "metadata-id:KEY (a UUID) or --license license-key:KEY (looked up in licenses.license_key)",
                "or assign one: ledger correct license SUB_ID --license UUID --reason TEXT",
                "or set the Stripe subscription's metadata license_id to the UUID of an existing licenses row; "
                    + "the customer.subscription.updated event Stripe sends projects it",
            ]
        case .missingPlanType, .invalidPlanType:
            [
                "tell the ledger where the plan type comes from: ledger mapping set --plan-type metadata:KEY, "
                    + "--price ID=PLAN, --lookup-key KEY=PLAN, --product ID=PLAN or --plan-type license",
                "or override it: ledger correct plan-type SUB_ID --plan PLAN --reason TEXT",
                "or set the Stripe subscription's metadata plan_type to free, starter, pro or enterprise; "
                    + "the customer.subscription.updated event Stripe sends projects it",
            ]
        case .licensesUnavailable:
            ["run the projection through ledger project, rebuild or serve, which read the licenses table"]
        case .unsupportedInterval, .mixedIntervals, .mixedCurrencies, .missingUnitAmount:
            [
                "the subscription's prices cannot be billed as one amount in one currency every 1, 3, 6, 12 or 24 "
                    + "months (billing_cycle monthly, quarterly, semiannual, yearly, biennial): change its items in "
                    + "Stripe; the next event for it projects it"
            ]
        case .negativeAmount, .amountOutOfRange, .invalidCurrency, .invalidStatus, .valueDoesNotFit,
            .timeOutOfRange, .notAnInteger, .createdInTheFuture, .missingField, .malformedBody:
            [
                "the event does not describe a valid row (see the reason); a later valid event for the same "
                    + "object clears the park, so correct the object in Stripe or ask Stripe to resend it"
            ]
        case .refusedByDatabase:
            [
                "PostgreSQL refused the row (see the reason): make the row acceptable to the schema's "
                    + "constraints, or fix the object in Stripe; a later event for the object retries it"
            ]
        case .unrecognised:
            ["this binary does not know the reason: read it, or run the ledger version that parked it"]
        }
    }
}
