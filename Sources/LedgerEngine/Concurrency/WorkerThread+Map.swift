extension WorkerThread {
    /// `body` applied to each input, each on a thread of its own called `name`, the outputs in input order.
    ///
    /// Returns or throws only once every thread has ended; the error thrown is the first in input
    /// order, as a loop over the inputs would meet it. A single input runs on the calling thread.
    static func map<Input: Sendable, Output: Sendable>(
        _ inputs: [Input], name: String, _ body: @escaping @Sendable (Input) throws -> Output
    ) throws -> [Output] {
        if inputs.count == 1, let only = inputs.first { return [try body(only)] }
        let outputs = inputs.map { _ in Locked<Output?>(nil) }
        let threads = zip(inputs, outputs).map { input, output in
            WorkerThread(name: name) {
                let value = try body(input)
                output.withLock { $0 = value }
            }
        }
        let ended = threads.map { $0.result() }
        return try zip(ended, outputs).map { ended, output in
            try ended.get()
            guard let value = output.current else { preconditionFailure("a thread returned without its output") }
            return value
        }
    }
}
