extension HistoryGenerator {
    /// Who a customer is and what they first buy: drawn first from the customer's own stream.
    ///
    /// `fixturesSQL` and the event timeline both build the profile the same
    /// way, so the users and licenses it writes are exactly the ones the
    /// events reference.
    struct CustomerProfile {
        let index: Int
        let userID: String
        let licenseID: String
        let licenseKey: String
        let email: String
        let name: String
        let customerID: String
        let subscriptionID: String
        let itemID: String
        let invoicePrefix: String
        let plan: Plan
        let interval: Interval
        let quantity: Int
        let currency: Currency
        let card: Card

        private static let firstNames = [
            "Ada", "Grace", "Alan", "Edsger", "Barbara", "Ken", "Margaret", "Dennis",
            "Frances", "Linus", "Radia", "Donald", "Sophie", "Niklaus", "Hedy", "Tim",
        ]
        private static let lastNames = [
            "Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Thompson", "Hamilton",
            "Ritchie", "Allen", "Torvalds", "Perlman", "Knuth", "Wilson", "Wirth",
            "Lamarr", "Berners-Lee",
        ]

        /// Builds the profile from a fresh customer stream, leaving `random` ready for the timeline's draws.
        init(index: Int, random: inout Random) {
            self.index = index
            userID = random.uuid()
            licenseID = random.uuid()
            licenseKey = "LIC-" + random.identifier("", count: 20).uppercased()
            let first = CustomerProfile.firstNames[random.int(in: 0...(CustomerProfile.firstNames.count - 1))]
            let last = CustomerProfile.lastNames[random.int(in: 0...(CustomerProfile.lastNames.count - 1))]
            name = first + " " + last
            // The user id's first block keeps emails unique across seeds, so seeding two runs never collides.
            email = "\(first.lowercased()).\(index)-\(userID.prefix(8))@example.com"
            customerID = random.identifier("cus_", count: 14)
            subscriptionID = random.identifier("sub_", count: 24)
            itemID = random.identifier("si_", count: 14)
            invoicePrefix = random.hex(count: 8).uppercased()
            plan = Plan.allCases[random.weighted([0.25, 0.35, 0.30, 0.10])]
            interval = plan != .free && random.chance(0.2) ? .year : .month
            quantity =
                switch plan {
                case .free, .starter: 1
                case .pro: random.chance(0.7) ? 1 : random.int(in: 2...10)
                case .enterprise: random.int(in: 5...50)
                }
            currency = Currency.allCases[random.weighted([0.80, 0.12, 0.08])]
            let brands = ["visa", "mastercard", "amex"]
            let brand = brands[random.weighted([0.6, 0.3, 0.1])]
            card = Card(
                paymentMethodID: random.identifier("pm_", count: 24), brand: brand,
                last4: ["4242", "4444", "0005", "1881", "5556"][random.int(in: 0...4)],
                expMonth: Int64(random.int(in: 1...12)), expYear: Int64(random.int(in: 2027...2032)),
                fingerprint: random.identifier("", count: 16),
                country: ["US", "US", "US", "DE", "FR", "GB", "CA"][random.int(in: 0...6)])
        }
    }
}
