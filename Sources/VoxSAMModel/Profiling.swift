import Foundation

/// Stage timings on stderr when the environment has VOXSAM_PROFILE=1 (wall time) or
/// VOXSAM_PROFILE=cpu (CPU time of the calling thread: steadier on a loaded machine, complete only
/// with one thread) (development aid).
enum Profiling {
    static let enabled = ["1", "cpu"].contains(ProcessInfo.processInfo.environment["VOXSAM_PROFILE"])
    static let threadCPU = ProcessInfo.processInfo.environment["VOXSAM_PROFILE"] == "cpu"

    static func now() -> Double {
        var t = timespec()
        clock_gettime(threadCPU ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) * 1e3 + Double(t.tv_nsec) / 1e6
    }

    static func report(_ name: String, _ ms: Double) {
        FileHandle.standardError.write(String(format: "  %-12@ %8.2f ms\n", name as NSString, ms).data(using: .utf8)!)
    }
}

extension Profiling {
    nonisolated(unsafe) static var totals: [String: Double] = [:]

    /// Runs `body`, adding its wall time to category `name` when profiling is enabled.
    @inline(__always)
    static func measure<R>(_ name: StaticString, _ body: () -> R) -> R {
        guard enabled else { return body() }
        let t = now()
        let r = body()
        totals["\(name)", default: 0] += now() - t
        return r
    }

    static func flush() {
        guard enabled else { return }
        for (k, v) in totals.sorted(by: { $0.value > $1.value }) { report("[" + k + "]", v) }
        totals = [:]
    }
}

/// Prints and resets the VOXSAM_PROFILE=1 stage totals (benchmarks).
public func flushProfilingTotals() { Profiling.flush() }
