import Dispatch

/// Splits index ranges over the cores: the model's own loops and its GEMMs (as blocks of
/// single-threaded OpenBLAS calls, see `OpenBLASRuntime.singleThreaded`).
enum Parallel {
    nonisolated(unsafe) static var threads: Int = {
        let n = Int(openblasThreads())
        return max(1, n)
    }()

    /// Chunks per parallel loop: two per thread, taken by the threads as they come free, so that a
    /// thread the OS deschedules on a busy machine holds up a quarter of the loop, not half.
    static var parts: Int { threads <= 1 ? 1 : 2 * threads }

    /// Calls `body(lo, hi)` on up to `parts` contiguous chunks of `0..<n` (in parallel when it pays:
    /// `n * costPerItem` above ~50k operations).
    @inline(__always)
    static func chunks(_ n: Int, cost: Int = 1, _ body: (Int, Int) -> Void) {
        indexedChunks(n, cost: cost) { _, lo, hi in body(lo, hi) }
    }

    /// Like `chunks`, also passing the chunk number (0..<parts) for per-chunk scratch.
    @inline(__always)
    static func indexedChunks(_ n: Int, cost: Int = 1, _ body: (Int, Int, Int) -> Void) {
        if threads <= 1 || n < 2 || n * cost < 50_000 {
            body(0, 0, n)
            return
        }
        let p = min(parts, n)
        withoutActuallyEscaping(body) { esc in
            let box = UncheckedSendable(esc)
            DispatchQueue.concurrentPerform(iterations: p) { i in
                box.value(i, n * i / p, n * (i + 1) / p)
            }
        }
    }

    /// Calls `body(lo, hi)` on `parts` contiguous chunks of `0..<n` (bounds multiples of `align`
    /// except the end), taken by the threads as they come free, so a thread that the OS deschedules
    /// on a busy machine holds up less than a fixed half. The caller picks `parts` (a few per thread)
    /// for work that is always worth splitting, e.g. slices of a GEMM.
    static func split(_ n: Int, parts: Int, align: Int = 1, _ body: (Int, Int) -> Void) {
        let a = max(align, 1)
        let p = threads <= 1 ? 1 : max(1, min(parts, n / a))
        if p <= 1 {
            body(0, n)
            return
        }
        withoutActuallyEscaping(body) { esc in
            let box = UncheckedSendable(esc)
            DispatchQueue.concurrentPerform(iterations: p) { i in
                let lo = n * i / p / a * a, hi = i == p - 1 ? n : n * (i + 1) / p / a * a
                if hi > lo { box.value(lo, hi) }
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
