import Dispatch

/// Splits index ranges over the cores for the non-BLAS loops.
enum Parallel {
    nonisolated(unsafe) static var threads: Int = {
        let n = Int(openblasThreads())
        return max(1, n)
    }()

    /// Calls `body(lo, hi)` on `threads` contiguous chunks of `0..<n` (in parallel when it pays:
    /// `n * costPerItem` above ~50k operations).
    @inline(__always)
    static func chunks(_ n: Int, cost: Int = 1, _ body: (Int, Int) -> Void) {
        indexedChunks(n, cost: cost) { _, lo, hi in body(lo, hi) }
    }

    /// Like `chunks`, also passing the chunk number (0..<threads) for per-thread scratch.
    @inline(__always)
    static func indexedChunks(_ n: Int, cost: Int = 1, _ body: (Int, Int, Int) -> Void) {
        let t = threads
        if t <= 1 || n < 2 || n * cost < 50_000 {
            body(0, 0, n)
            return
        }
        let parts = min(t, n)
        withoutActuallyEscaping(body) { esc in
            let box = UncheckedSendable(esc)
            DispatchQueue.concurrentPerform(iterations: parts) { i in
                box.value(i, n * i / parts, n * (i + 1) / parts)
            }
        }
    }
}

import COpenBLAS
@inline(__always) private func openblasThreads() -> Int32 { openblas_get_num_threads() }

/// Carries a non-Sendable value (closures over raw pointers into disjoint ranges) into
/// `concurrentPerform`; the callers guarantee the chunks do not race.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ v: T) { value = v }
}
