import Assay
public import Foundation

/// How long the fuzz tests run and from which seed: a short fixed-seed run by default (what `swift test`
/// and CI do), or a timed run with fresh seeds when `scripts/fuzz` sets `ASSAY_FUZZ_SECONDS`.
///
/// A test asks for batches of inputs; each batch starts from a seed that is printed first, so the batch
/// that crashed the process can be replayed exactly with `ASSAY_FUZZ_SEED`.
///
/// ```swift
/// var budget = FuzzBudget(name: "csv")
/// while let seed = budget.nextBatch() {
///     var rng = Xoshiro(seed: FuzzBudget.state(seed))
///     for _ in 0..<budget.batchSize { check(generator.run(using: &rng)) }
/// }
/// budget.report()
/// ```
public struct FuzzBudget {
    public let name: String
    /// Inputs per batch.
    public let batchSize: Int
    private let deadline: ContinuousClock.Instant?
    private var seeds: [UInt64]
    private var batches = 0

    /// `inputs` is the fixed run's size (rounded up to whole batches).
    public init(name: String, inputs: Int = 300, batchSize: Int = 100, environment: [String: String] = ProcessInfo.processInfo.environment)
    {
        self.name = name
        self.batchSize = batchSize
        if let text = environment["ASSAY_FUZZ_SEED"], let seed = UInt64(text) {
            seeds = [seed]
            deadline = nil
        } else if let text = environment["ASSAY_FUZZ_SECONDS"], let seconds = Double(text), seconds > 0 {
            seeds = []
            deadline = .now + .milliseconds(Int64(seconds * 1000))
        } else {
            let fixed = UInt64(0x5EED_A55A_0000_0000) ^ UInt64(truncatingIfNeeded: name.utf8.reduce(5381) { ($0 << 5) &+ $0 &+ Int($1) })
            seeds = (0..<UInt64((inputs + batchSize - 1) / batchSize)).map { fixed &+ $0 }
            deadline = nil
        }
    }

    /// The next batch's seed (printed to standard error first), or nil when the budget is spent.
    public mutating func nextBatch() -> UInt64? {
        let seed: UInt64
        if let deadline {
            guard ContinuousClock.now < deadline else { return nil }
            seed = UInt64.random(in: .min ... .max)
        } else {
            guard batches < seeds.count else { return nil }
            seed = seeds[batches]
        }
        batches += 1
        FileHandle.standardError.write(Data("fuzz \(name): batch \(batches), ASSAY_FUZZ_SEED=\(seed)\n".utf8))
        return seed
    }

    /// Whether this is a timed run (`scripts/fuzz`), where the fuzz suites run by themselves and a slow
    /// answer means a slow input, not a busy test process.
    public var isTimed: Bool { deadline != nil }

    /// Inputs tried so far.
    public var inputs: Int { batches * batchSize }

    /// Prints the total, in the line `scripts/fuzz` reads.
    public func report() {
        print("fuzz \(name): \(inputs) inputs, no crash")
    }

    /// A generator state from one seed (SplitMix64, ``SeededRandom``, spreads it over four words).
    public static func state(_ seed: UInt64) -> (UInt64, UInt64, UInt64, UInt64) {
        var mix = SeededRandom(seed: seed)
        return (mix.next(), mix.next(), mix.next(), mix.next())
    }
}
