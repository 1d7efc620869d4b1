extension HistoryGenerator {
    /// Merges all customers' timelines into one chronological stream with a min-heap of each customer's next time.
    ///
    /// Memory is one heap entry per customer plus the timelines of customers
    /// who have signed up and not finished; finished timelines are released.
    /// Ties are broken by customer index, so the order is fully determined.
    struct TimelineMerger {
        private struct Entry {
            let time: Int64
            let customer: Int

            func precedes(_ other: Entry) -> Bool {
                time != other.time ? time < other.time : customer < other.customer
            }
        }

        private let seed: UInt64
        private let windowEnd: Int64
        private let legacy: Bool
        private let renderer: Renderer
        private var heap: [Entry] = []
        private var timelines: [CustomerTimeline?]
        /// Set once a live event has been produced: only after it may a test-mode customer start, so the event
        /// that fixes a ledger's mode (the first one) is always live.
        private var producedLive = false

        init(configuration: Configuration, renderer: Renderer) {
            seed = configuration.seed
            windowEnd = configuration.windowEnd
            legacy = configuration.apiVersion == .v2020_08_27
            self.renderer = renderer
            timelines = Array(repeating: nil, count: configuration.customers)
            heap.reserveCapacity(configuration.customers)
            for customer in 0..<configuration.customers {
                heap.append(Entry(time: configuration.signUpTime(customer: customer), customer: customer))
            }
            for index in stride(from: heap.count / 2 - 1, through: 0, by: -1) {
                siftDown(index)
            }
        }

        /// The next event in time order, rendered; nil when every timeline has finished.
        mutating func next() -> GeneratedEvent? {
            while let top = heap.first {
                let timeline = timeline(for: top)
                let event = timeline.step()
                if let nextTime = timeline.nextTime {
                    heap[0] = Entry(time: nextTime, customer: top.customer)
                    siftDown(0)
                } else {
                    timelines[top.customer] = nil
                    removeTop()
                }
                if let event {
                    producedLive = producedLive || event.livemode
                    return GeneratedEvent(
                        eventID: event.eventID, type: event.type.rawValue, created: event.created,
                        json: renderer.render(event))
                }
            }
            return nil
        }

        private mutating func timeline(for entry: Entry) -> CustomerTimeline {
            if let existing = timelines[entry.customer] { return existing }
            var modeRandom = Random(seed: seed, stream: StreamID.testMode, index: UInt64(entry.customer))
            let testMode = producedLive && modeRandom.chance(LifecycleRates.testModeCustomer)
            let created = CustomerTimeline(
                index: entry.customer, seed: seed, signUpTime: entry.time, windowEnd: windowEnd, legacy: legacy,
                testMode: testMode, coupons: renderer.catalog.coupons)
            timelines[entry.customer] = created
            return created
        }

        private mutating func removeTop() {
            let last = heap.removeLast()
            guard !heap.isEmpty else { return }
            heap[0] = last
            siftDown(0)
        }

        private mutating func siftDown(_ start: Int) {
            var parent = start
            let count = heap.count
            while true {
                let left = 2 * parent + 1
                guard left < count else { return }
                let right = left + 1
                let child = right < count && heap[right].precedes(heap[left]) ? right : left
                guard heap[child].precedes(heap[parent]) else { return }
                heap.swapAt(child, parent)
                parent = child
            }
        }
    }
}
