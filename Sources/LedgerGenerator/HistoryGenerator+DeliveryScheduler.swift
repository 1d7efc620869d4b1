import LedgerCore

extension HistoryGenerator {
    /// Turns the chronological stream into a delivery order with late and repeated deliveries, as Stripe's at-least-once, unordered webhooks do.
    ///
    /// A late event is held back and released after a bounded number of later
    /// deliveries; a duplicate is a byte-identical copy released the same way.
    /// Held events never exceed the window sizes, so memory stays bounded.
    struct DeliveryScheduler {
        private struct Held {
            let releaseAt: Int
            let order: Int
            let event: GeneratedEvent
        }

        private var source: TimelineMerger
        private var random: Random
        private let duplicateProbability: Double
        private let shuffleProbability: Double
        private var held: [Held] = []
        private var delivered = 0
        private var heldOrder = 0

        init(source: TimelineMerger, configuration: Configuration) {
            self.source = source
            random = Random(seed: configuration.seed, stream: StreamID.delivery, index: 0)
            duplicateProbability = configuration.duplicateProbability
            shuffleProbability = configuration.shuffleProbability
        }

        mutating func next() -> GeneratedEvent? {
            while true {
                if let due = takeHeld(force: false) { return deliver(due) }
                guard let event = source.next() else {
                    return takeHeld(force: true).map { deliver($0) }
                }
                if duplicateProbability > 0 && random.chance(duplicateProbability) {
                    hold(event, distance: random.int(in: 1...Limits.generateDuplicateDistanceEventsMax))
                }
                // The first delivery is never held back: it fixes the ledger's mode, so it must be the history's
                // first event, which is live (``TimelineMerger``).
                if shuffleProbability > 0 && random.chance(shuffleProbability) && delivered > 0 {
                    hold(event, distance: random.int(in: 1...Limits.generateShuffleDistanceEventsMax))
                    continue
                }
                return deliver(event)
            }
        }

        private mutating func deliver(_ event: GeneratedEvent) -> GeneratedEvent {
            delivered += 1
            return event
        }

        private mutating func hold(_ event: GeneratedEvent, distance: Int) {
            heldOrder += 1
            held.append(Held(releaseAt: delivered + distance, order: heldOrder, event: event))
        }

        /// The held event that is due (or, at the end of the stream, the earliest one), oldest first.
        private mutating func takeHeld(force: Bool) -> GeneratedEvent? {
            var best: Int?
            for index in held.indices {
                let candidate = held[index]
                guard force || candidate.releaseAt <= delivered else { continue }
                if let current = best {
                    let chosen = held[current]
                    if (candidate.releaseAt, candidate.order) < (chosen.releaseAt, chosen.order) { best = index }
                } else {
                    best = index
                }
            }
            guard let best else { return nil }
            return held.remove(at: best).event
        }
    }
}
