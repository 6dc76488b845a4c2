import Dispatch
import Foundation

/// Runs independent per-file work on all cores (header scans, frame decoding). Each iteration
/// writes only its own result slot, so no lock is needed; DCMTK handles are never shared
/// between iterations.
enum DICOMParallel {
    /// `body(i)` for i in 0..<count, results in order.
    static func map<T>(_ count: Int, _ body: (Int) -> T) -> [T] {
        guard count > 1, ProcessInfo.processInfo.activeProcessorCount > 1 else { return (0..<count).map(body) }
        let slots = UnsafeMutableBufferPointer<T?>.allocate(capacity: count)
        slots.initialize(repeating: nil)
        defer {
            slots.deinitialize()
            slots.deallocate()
        }
        withoutActuallyEscaping(body) { body in
            let work = UnsafeSendable(value: (body, slots))
            DispatchQueue.concurrentPerform(iterations: count) { i in
                let (body, slots) = work.value
                slots[i] = body(i)
            }
        }
        return slots.map { $0! }
    }
}

/// Carries values into concurrentPerform's closure; safe because iterations touch disjoint slots.
private struct UnsafeSendable<T>: @unchecked Sendable {
    let value: T
}
