import Dispatch
import Synchronization

/// How one model call splits index ranges over the cores: the model's own loops and its GEMMs (as
/// blocks of single-threaded OpenBLAS calls, see `OpenBLASRuntime.keepBLASSingleThreaded`).
///
/// A value, passed down explicitly (it rides in the `Workspace` every layer gets, as ggml passes
/// `ith/nth` with the scratch): the thread count is fixed when the model is made, from `--threads`,
/// `VOXSAM_THREADS` or the core count, and nothing reads a process-wide setting at an arbitrary
/// moment (a lazily initialised global once made every command but the benchmark run on one thread).
struct Parallel: Sendable {
    let threads: Int
    /// Records how many workers actually ran at once, so a run can report (and a test check) that it
    /// used the threads it was given.
    let usage: ThreadUsageCounter

    init(threads: Int, usage: ThreadUsageCounter = ThreadUsageCounter()) {
        self.threads = max(1, threads)
        self.usage = usage
    }

    /// Chunks per parallel loop: two per thread, taken by the threads as they come free, so that a
    /// thread the OS deschedules on a busy machine holds up a quarter of the loop, not half.
    var parts: Int { threads <= 1 ? 1 : 2 * threads }

    /// Calls `body(lo, hi)` on up to `parts` contiguous chunks of `0..<n` (in parallel when it pays:
    /// `n * costPerItem` above ~50k operations).
    @inline(__always)
    func chunks(_ n: Int, cost: Int = 1, _ body: (Int, Int) -> Void) {
        indexedChunks(n, cost: cost) { _, lo, hi in body(lo, hi) }
    }

    /// Like `chunks`, also passing the chunk number (0..<parts) for per-chunk scratch.
    @inline(__always)
    func indexedChunks(_ n: Int, cost: Int = 1, _ body: (Int, Int, Int) -> Void) {
        if threads <= 1 || n < 2 || n * cost < 50_000 {
            usage.enter()
            body(0, 0, n)
            usage.leave()
            return
        }
        let p = min(parts, n)
        run(p) { i in body(i, n * i / p, n * (i + 1) / p) }
    }

    /// Calls `body(lo, hi)` on `parts` contiguous chunks of `0..<n` (bounds multiples of `align`
    /// except the end), taken by the threads as they come free, so a thread that the OS deschedules
    /// on a busy machine holds up less than a fixed half. The caller picks `parts` (a few per thread)
    /// for work that is always worth splitting, e.g. slices of a GEMM.
    func split(_ n: Int, parts: Int, align: Int = 1, _ body: (Int, Int) -> Void) {
        indexedSplit(n, parts: parts, align: align) { _, lo, hi in body(lo, hi) }
    }

    /// Like `split`, also passing the part number (0..<parts) for per-part scratch.
    func indexedSplit(_ n: Int, parts: Int, align: Int = 1, _ body: (Int, Int, Int) -> Void) {
        let a = max(align, 1)
        let p = threads <= 1 ? 1 : max(1, min(parts, n / a))
        if p <= 1 {
            usage.enter()
            body(0, 0, n)
            usage.leave()
            return
        }
        run(p) { i in
            let lo = n * i / p / a * a, hi = i == p - 1 ? n : n * (i + 1) / p / a * a
            if hi > lo { body(i, lo, hi) }
        }
    }

    /// `p` iterations on at most `threads` workers at once: the calling thread and `threads - 1`
    /// Dispatch workers take the iterations from a shared counter as they come free.
    private func run(_ p: Int, _ body: (Int) -> Void) {
        let workers = min(threads, p)
        let next = Atomic<Int>(0)
        withoutActuallyEscaping(body) { esc in
            let box = UncheckedSendable(esc)
            let counter = usage
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                counter.enter()
                defer { counter.leave() }
                while true {
                    let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    if i >= p { break }
                    box.value(i)
                }
            }
        }
    }
}

/// The most workers of one `Parallel` that were running at the same moment since the last `reset`.
final class ThreadUsageCounter: Sendable {
    private let active = Atomic<Int>(0)
    private let peakValue = Atomic<Int>(0)

    init() {}

    func enter() {
        let now = active.wrappingAdd(1, ordering: .relaxed).newValue
        var seen = peakValue.load(ordering: .relaxed)
        while now > seen {
            let (exchanged, original) = peakValue.compareExchange(expected: seen, desired: now, ordering: .relaxed)
            if exchanged { break }
            seen = original
        }
    }

    func leave() { active.wrappingSubtract(1, ordering: .relaxed) }

    var peak: Int { peakValue.load(ordering: .relaxed) }
    func reset() { peakValue.store(0, ordering: .relaxed) }
}

/// Carries a non-Sendable value (closures over raw pointers into disjoint ranges) into
/// `concurrentPerform`; the callers guarantee the chunks do not race.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ v: T) { value = v }
}
