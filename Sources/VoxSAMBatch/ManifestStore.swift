#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import VoxSAMCore

/// The run manifest of an output folder.
///
/// Each process appends its records to its own file, `OUT/manifests/shard-I-of-N.jsonl` (one JSON
/// object per line, written with one `write` and `fsync`), so concurrent shards never write the
/// same file. `merge()` reads all of them and writes `OUT/manifest.jsonl` (the latest record of every
/// study, sorted by study) and `OUT/summary.csv`, atomically and under a lock; every process does
/// that when it finishes, and `voxsam batch --merge-manifests OUT` does it on demand.
public final class ManifestStore {
    public let outputDirectory: String
    public var manifestsDirectory: String { (outputDirectory as NSString).appendingPathComponent("manifests") }
    public var mergedPath: String { (outputDirectory as NSString).appendingPathComponent("manifest.jsonl") }
    public var summaryPath: String { (outputDirectory as NSString).appendingPathComponent("summary.csv") }

    public init(outputDirectory: String) { self.outputDirectory = outputDirectory }

    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }

    /// The file this shard appends to; a line cut short by a killed process is removed first.
    public func shardFile(_ shard: ShardSpec) throws -> String {
        try FileManager.default.createDirectory(atPath: manifestsDirectory, withIntermediateDirectories: true)
        let path = (manifestsDirectory as NSString).appendingPathComponent("\(shard.tag).jsonl")
        try ManifestStore.dropPartialLastLine(path)
        return path
    }

    /// Truncates `path` after its last newline (a record whose write was interrupted).
    static func dropPartialLastLine(_ path: String) throws {
        guard let data = FileManager.default.contents(atPath: path), !data.isEmpty, data.last != UInt8(ascii: "\n") else { return }
        let keep = (data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? 0
        guard truncate(path, off_t(keep)) == 0 else {
            throw VoxSAMError(.writeFailed, "could not repair the manifest (\(String(cString: strerror(errno))))", path: path)
        }
    }

    /// Appends one record as one line, durably.
    public func append(_ record: ManifestRecord, to path: String) throws {
        var line = try ManifestStore.encoder().encode(record)
        line.append(UInt8(ascii: "\n"))
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        guard fd >= 0 else { throw VoxSAMError(.writeFailed, "cannot open the manifest for appending (\(String(cString: strerror(errno))))", path: path) }
        defer { close(fd) }
        let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == line.count else {
            throw VoxSAMError(.writeFailed, "could not append to the manifest (\(String(cString: strerror(errno))))", path: path)
        }
        fsync(fd)
    }

    /// Every complete record in every shard file, oldest first (by finish time, then file order).
    public func records() -> [ManifestRecord] {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: manifestsDirectory)) ?? [])
            .filter { $0.hasSuffix(".jsonl") }.sorted()
        var out: [(String, Int, ManifestRecord)] = []
        let decoder = JSONDecoder()
        var n = 0
        for f in files {
            guard let data = FileManager.default.contents(atPath: (manifestsDirectory as NSString).appendingPathComponent(f)) else { continue }
            for line in data.split(separator: UInt8(ascii: "\n")) {
                // A trailing line without newline may still be being written by another shard: it does not parse, or is skipped.
                if let r = try? decoder.decode(ManifestRecord.self, from: Data(line)) { out.append((r.finishedAt, n, r)); n += 1 }
            }
        }
        return out.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.2)
    }

    /// The latest record of each study.
    public func latest() -> [String: ManifestRecord] {
        var d: [String: ManifestRecord] = [:]
        for r in records() { d[r.study] = r }
        return d
    }

    /// Writes `manifest.jsonl` and `summary.csv` from all shard files (atomically, under a lock).
    /// Returns the merged records (sorted by study).
    @discardableResult
    public func merge() throws -> [ManifestRecord] {
        try FileManager.default.createDirectory(atPath: manifestsDirectory, withIntermediateDirectories: true)
        let lockPath = (manifestsDirectory as NSString).appendingPathComponent(".lock")
        let fd = open(lockPath, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw VoxSAMError(.writeFailed, "cannot create the manifest lock", path: lockPath) }
        defer { close(fd) }
        flock(fd, LOCK_EX)
        defer { flock(fd, LOCK_UN) }
        let merged = latest().values.sorted { $0.study < $1.study }
        var text = Data()
        let e = ManifestStore.encoder()
        for r in merged { text.append(try e.encode(r)); text.append(UInt8(ascii: "\n")) }
        try AtomicWrite.write(text, to: mergedPath)
        try AtomicWrite.write(Data(BatchSummary.csv(merged).utf8), to: summaryPath)
        return merged
    }
}

/// The lock a batch run holds on its output folder for as long as it runs: exclusive without
/// shards (a second unsharded batch on the same folder would redo and replace the same studies),
/// shared with shards (shards of one array share the folder by design, but not with an unsharded
/// run). A run that cannot take it fails at once, naming the holder's pid.
final class BatchFolderLock {
    private let fd: Int32

    init(store: ManifestStore, exclusive: Bool) throws {
        try FileManager.default.createDirectory(atPath: store.manifestsDirectory, withIntermediateDirectories: true)
        let path = (store.manifestsDirectory as NSString).appendingPathComponent(".batch.lock")
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw VoxSAMError(.writeFailed, "cannot create the batch lock file: \(String(cString: strerror(errno)))", path: path) }
        guard flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0 else {
            var buf = [UInt8](repeating: 0, count: 64)
            let n = pread(fd, &buf, buf.count, 0)
            let holder = n > 0 ? String(decoding: buf[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
            close(fd)
            throw VoxSAMError(.writeFailed, "another voxsam batch (\(holder)) is writing to this output folder; wait for it to finish, or run the parts as shards (--shard I/N)", path: store.outputDirectory)
        }
        let me = Data("pid \(getpid()) on \(ProcessInfo.processInfo.hostName)\n".utf8)
        if exclusive { ftruncate(fd, 0) }
        _ = me.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    deinit { flock(fd, LOCK_UN); close(fd) }
}
