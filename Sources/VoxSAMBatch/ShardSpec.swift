import Foundation
import VoxSAMCore

/// Which part of the studies one process handles: shard `index` of `count` (0-based).
///
/// A study belongs to shard `UInt64(first 8 bytes of SHA-256(study name)) % count` — stable across
/// machines, runs and the order studies are found in, and disjoint: every study is in exactly one shard.
public struct ShardSpec: Sendable, Equatable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    public static let whole = ShardSpec(index: 0, count: 1)

    public init(index: Int, count: Int) { self.index = index; self.count = count }

    public var description: String { "\(index)/\(count)" }
    /// File-name form, e.g. `shard-0-of-2`.
    public var tag: String { "shard-\(index)-of-\(count)" }

    /// Parses `I/N` (0 <= I < N).
    public static func parse(_ text: String) throws -> ShardSpec {
        let parts = text.split(separator: "/").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let i = parts[0], let n = parts[1], n >= 1, (0..<n).contains(i) else {
            throw VoxSAMError(.invalidArgument, "--shard `\(text)` must be I/N with 0 <= I < N, e.g. 0/4")
        }
        return ShardSpec(index: i, count: n)
    }

    /// The shard from the command line, else from the scheduler's environment:
    /// SLURM array jobs (`SLURM_ARRAY_TASK_ID` − `SLURM_ARRAY_TASK_MIN` of `SLURM_ARRAY_TASK_COUNT`),
    /// Kubernetes indexed jobs (`JOB_COMPLETION_INDEX` of `--shard-count` or `VOXSAM_SHARD_COUNT`),
    /// else the whole batch.
    public static func resolve(option: String?, shardCount: Int?, environment: [String: String]) throws -> ShardSpec {
        if let option { return try parse(option) }
        if let id = environment["SLURM_ARRAY_TASK_ID"].flatMap({ Int($0) }) {
            let min = environment["SLURM_ARRAY_TASK_MIN"].flatMap { Int($0) } ?? 0
            guard let n = shardCount ?? environment["SLURM_ARRAY_TASK_COUNT"].flatMap({ Int($0) }) else {
                throw VoxSAMError(.invalidArgument, "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; give --shard-count N")
            }
            return try checked(id - min, n, "SLURM_ARRAY_TASK_ID \(id) (min \(min)) with \(n) tasks; use a contiguous --array=0-\(max(n - 1, 0))")
        }
        if let id = environment["JOB_COMPLETION_INDEX"].flatMap({ Int($0) }) {
            guard let n = shardCount ?? environment["VOXSAM_SHARD_COUNT"].flatMap({ Int($0) }) else {
                throw VoxSAMError(.invalidArgument, "JOB_COMPLETION_INDEX is set: give the number of completions with --shard-count N or VOXSAM_SHARD_COUNT")
            }
            return try checked(id, n, "JOB_COMPLETION_INDEX \(id) with \(n) completions")
        }
        return .whole
    }

    private static func checked(_ i: Int, _ n: Int, _ what: String) throws -> ShardSpec {
        guard n >= 1, (0..<n).contains(i) else { throw VoxSAMError(.invalidArgument, "\(what) is not a shard I/N with 0 <= I < N") }
        return ShardSpec(index: i, count: n)
    }

    /// The shard a study belongs to.
    public static func shard(ofStudy name: String, count: Int) -> Int {
        let d = SHA256.digest(of: Array(name.utf8))
        var v: UInt64 = 0
        for b in d.prefix(8) { v = v << 8 | UInt64(b) }
        return Int(v % UInt64(count))
    }

    public func contains(study name: String) -> Bool { ShardSpec.shard(ofStudy: name, count: count) == index }
}
