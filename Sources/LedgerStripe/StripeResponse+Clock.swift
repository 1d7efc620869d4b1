import LedgerCore

extension StripeResponse {
    /// Stripe's clock when it answered `path`, in Unix seconds: what observations are dated by.
    ///
    /// Throws when the response has no readable `Date` header, since then Stripe's clock is unknown.
    public func stripeSeconds(path: String) throws -> Int64 {
        guard let date else {
            throw StripeAPIError(
                status: 200, path: path, attempts: attempts,
                message: "the response has no readable Date header, so Stripe's clock is unknown")
        }
        return date.microsecondsSinceEpoch / 1_000_000
    }
}
