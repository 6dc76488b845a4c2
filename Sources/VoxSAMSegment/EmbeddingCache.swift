import Foundation
import VoxSAMCore
import VoxSAMIO
#if canImport(Glibc)
import Glibc
#endif

/// Image embeddings kept on disk between runs (`--cache DIR`), so that a second run of the same
/// volume with other prompts — corrections, another object — encodes nothing it already has.
///
/// An entry is keyed by SHA-256 over the model's `embeddingIdentity` (checkpoint hash, arithmetic,
/// preprocessing) and the windowed slice itself (height, width, pixels): the key follows the
/// content, so the same pixels met along another axis or in another file of the same image share
/// an entry, and another window, model or precision never does. File `DIR/ab/<key>.emb`:
///
///     "VOXSAMEMB2\n" | key (64 hex characters) "\n" | payload size (UInt64 LE) | payload CRC-32 (UInt32 LE) | payload
///
/// LiteMedSAM's payload is 256 × 64 × 64 float32 values plus 24 bytes: 4 MiB (4,194,472 bytes with
/// the header) per slice, whatever the slice's size. An entry whose magic, key, size or payload CRC
/// does not match is reported, ignored and rewritten. Entries are written under a temporary name
/// and renamed (not fsynced: a torn entry fails its hash and is recomputed). Nothing is ever evicted:
/// remove the folder to reclaim the space.
///
/// `EmbeddingCache.inMemory()` keeps the same entries in memory instead (`voxsam serve` sessions):
/// nothing is written, and the memory goes with the cache.
public final class EmbeddingCache: @unchecked Sendable {
    /// The folder; `:memory:` for an in-memory cache.
    public let directory: String
    /// The in-memory entries (nil: the cache is a folder).
    private var memory: [String: Data]?
    private let lock = NSLock()
    /// Problems met (a corrupt entry, an unwritable folder), for the caller to show; one per kind of problem and entry.
    public private(set) var warnings: [String] = []
    private var writable = true

    static let magic = Array("VOXSAMEMB2\n".utf8)
    static let headerCount = magic.count + 65 + 8 + 4

    /// `directory` is created when missing; a path that exists and is not a folder is an error.
    public init(directory: String) throws {
        self.directory = directory
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDir) {
            guard isDir.boolValue else {
                throw VoxSAMError(.invalidArgument, "--cache must be a folder (it is a file)", path: directory)
            }
        } else {
            do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
                throw VoxSAMError(.writeFailed, "--cache: the folder cannot be created (\(error.localizedDescription))", path: directory)
            }
        }
    }

    private init(memoryOnly: Void) {
        directory = ":memory:"
        memory = [:]
    }

    /// A cache held in memory: the same keys, nothing on disk.
    public static func inMemory() -> EmbeddingCache { EmbeddingCache(memoryOnly: ()) }

    /// Entries and their payload bytes held in memory (0 for a folder).
    public var memoryUsage: (entries: Int, bytes: Int) {
        lock.lock(); defer { lock.unlock() }
        return (memory?.count ?? 0, memory?.values.reduce(0) { $0 + $1.count } ?? 0)
    }

    /// The entry key of a slice for a model identity.
    public static func key(identity: String, slice: [UInt8], height: Int, width: Int) -> String {
        var h = SHA256()
        h.update(Array(identity.utf8))
        h.update(Array("\n\(height)x\(width)\n".utf8))
        slice.withUnsafeBytes { h.update($0) }
        return h.hexDigest()
    }

    func path(_ key: String) -> String { "\(directory)/\(key.prefix(2))/\(key).emb" }

    /// The payload stored for `key`, or nil (absent, or damaged: then a warning is recorded).
    public func load(_ key: String) -> Data? {
        lock.lock()
        if let memory { defer { lock.unlock() }; return memory[key] }
        lock.unlock()
        let file = path(key)
        guard let d = FileManager.default.contents(atPath: file) else { return nil }
        let m = Self.magic.count
        guard d.count >= Self.headerCount, Array(d.prefix(m)) == Self.magic,
              String(decoding: d[m..<(m + 64)], as: UTF8.self) == key else {
            warn("cache entry \(file) is not a VoxSAM embedding of this slice; recomputing it")
            return nil
        }
        let size = d.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: m + 65, as: UInt64.self)) }
        let payload = d.suffix(from: Self.headerCount)
        guard size == UInt64(payload.count) else {
            warn("cache entry \(file) is truncated or damaged (size \(payload.count), header says \(size)); recomputing it")
            return nil
        }
        let stored = d.withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: m + 73, as: UInt32.self)) }
        guard payload.withUnsafeBytes({ CRC32.checksum($0) }) == stored else {
            warn("cache entry \(file) is damaged (checksum mismatch); recomputing it")
            return nil
        }
        return Data(payload)
    }

    /// Reports an entry that `load` returned but the model could not use (it is recomputed).
    public func rejected(_ key: String) {
        warn("cache entry \(path(key)) does not hold an embedding this model can use; recomputing it")
    }

    /// Stores `payload` for `key` (a failure is a warning: the run goes on without the cache).
    public func store(_ key: String, _ payload: Data) {
        lock.lock()
        if memory != nil { memory![key] = payload; lock.unlock(); return }
        lock.unlock()
        guard writable else { return }
        let file = path(key)
        let folder = (file as NSString).deletingLastPathComponent
        var d = Data(Self.magic)
        d.append(contentsOf: Array((key + "\n").utf8))
        withUnsafeBytes(of: UInt64(payload.count).littleEndian) { d.append(contentsOf: $0) }
        withUnsafeBytes(of: CRC32.checksum(payload).littleEndian) { d.append(contentsOf: $0) }
        d.append(payload)
        let temp = "\(folder)/.voxsam-tmp-\(getpid())-\(UUID().uuidString).emb"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try d.write(to: URL(fileURLWithPath: temp))
            guard rename(temp, file) == 0 else { throw VoxSAMError(.writeFailed, String(cString: strerror(errno)), path: file) }
        } catch {
            unlink(temp)
            writable = false
            warn("the embedding cache \(directory) cannot be written (\(error.localizedDescription)); continuing without storing embeddings")
        }
    }

    private func warn(_ message: String) {
        lock.lock(); defer { lock.unlock() }
        if !warnings.contains(message) { warnings.append(message) }
    }
}
