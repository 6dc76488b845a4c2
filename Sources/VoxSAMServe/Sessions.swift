import Foundation
import VoxSAMCore
import VoxSAMSegment

/// An image the server holds in memory for a client: the volume as read and the embeddings of the
/// slices already encoded, so that the next request on it (another ROI, a correction) runs the
/// decoder only. Its `volume` and `cache` are touched on the model worker's queue only.
final class Session: @unchecked Sendable {
    /// `image:ID` for a datastore image, `session:UUID` for `PUT /session/`.
    let key: String
    /// The image ID or session ID: what messages and logs name (never a path).
    let name: String
    let imagePath: String
    /// `PUT /session/` uploads are the session's own files, removed with it.
    let ownedFiles: String?
    let created = Date()
    var lastUsed = Date()
    var volume: Volume?
    var cache = EmbeddingCache.inMemory()

    init(key: String, name: String, imagePath: String, ownedFiles: String? = nil) {
        self.key = key; self.name = name; self.imagePath = imagePath; self.ownedFiles = ownedFiles
    }

    /// Memory held: the volume's voxels and the cached embeddings.
    var bytes: Int { (volume.map { $0.voxels.count * $0.voxels.type.byteCount } ?? 0) + cache.memoryUsage.bytes }

    /// Drops the volume and embeddings (they are read and encoded again when next needed).
    func unload() {
        volume = nil
        cache = EmbeddingCache.inMemory()
    }
}

/// The sessions, with idle expiry and a bound on how many hold memory at once.
final class SessionStore: @unchecked Sendable {
    private let lock = NSLock()
    private var sessions: [String: Session] = [:]
    let idleSeconds: Double
    let maxLoaded: Int

    init(idleSeconds: Double, maxLoaded: Int) {
        self.idleSeconds = idleSeconds; self.maxLoaded = max(1, maxLoaded)
    }

    func get(_ key: String) -> Session? {
        lock.lock(); defer { lock.unlock() }
        return sessions[key]
    }

    /// The session of `key`, made by `make` when absent; its idle clock restarts.
    func session(_ key: String, make: () throws -> Session) rethrows -> Session {
        lock.lock(); defer { lock.unlock() }
        let s = try sessions[key] ?? make()
        sessions[key] = s
        s.lastUsed = Date()
        return s
    }

    func remove(_ key: String) -> Session? {
        lock.lock(); defer { lock.unlock() }
        return sessions.removeValue(forKey: key)
    }

    /// Sessions idle longer than `idleSeconds`, removed from the store.
    func expire(now: Date = Date()) -> [Session] {
        lock.lock(); defer { lock.unlock() }
        let old = sessions.values.filter { now.timeIntervalSince($0.lastUsed) > idleSeconds }
        for s in old { sessions[s.key] = nil }
        return old
    }

    /// Unloads the least recently used sessions beyond `maxLoaded` holding memory, `keeping` one.
    func makeRoom(keeping key: String) {
        lock.lock(); defer { lock.unlock() }
        let loaded = sessions.values.filter { $0.key != key && ($0.volume != nil || $0.cache.memoryUsage.entries > 0) }
            .sorted { $0.lastUsed < $1.lastUsed }
        for s in loaded.prefix(max(0, loaded.count - (maxLoaded - 1))) { s.unload() }
    }

    var count: Int { lock.lock(); defer { lock.unlock() }; return sessions.count }
    var memoryBytes: Int { lock.lock(); defer { lock.unlock() }; return sessions.values.reduce(0) { $0 + $1.bytes } }
}

/// The one thread that runs the model, behind a bounded queue: a request that finds `capacity`
/// requests waiting is refused at once (503, Retry-After), and one that waited longer than
/// `timeout` before its turn is refused instead of run.
final class ModelWorker: @unchecked Sendable {
    let capacity: Int
    let timeout: Double
    private let queue = DispatchQueue(label: "voxsam.serve.model", qos: .userInitiated)
    private let lock = NSLock()
    private var waiting = 0
    private var averageSeconds = 5.0

    init(capacity: Int, timeout: Double) {
        self.capacity = max(1, capacity); self.timeout = timeout
    }

    /// Requests queued or running.
    var pending: Int { lock.lock(); defer { lock.unlock() }; return waiting }

    /// Runs `work` on the model thread and returns its result.
    func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        let refused: Int? = lock.withLock {
            guard waiting < capacity else { return Int((averageSeconds * Double(waiting)).rounded(.up)) }
            waiting += 1
            return nil
        }
        if let retry = refused {
            throw APIError(503, "the server is busy: \(capacity) requests are queued for the model; try again", retryAfter: max(1, retry))
        }
        let enqueued = Date()
        return try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, any Error>) in
            queue.async { [self] in
                let started = Date()
                let result: Result<T, any Error>
                if started.timeIntervalSince(enqueued) > timeout {
                    result = .failure(APIError(503, "the request waited \(Int(started.timeIntervalSince(enqueued))) s for the model (limit \(Int(timeout)) s); try again",
                                               retryAfter: max(1, Int(averageSeconds.rounded(.up)))))
                } else {
                    result = Result { try work() }
                }
                lock.lock()
                waiting -= 1
                averageSeconds = 0.8 * averageSeconds + 0.2 * Date().timeIntervalSince(started)
                lock.unlock()
                c.resume(with: result)
            }
        }
    }

    /// Runs `work` on the model thread after what is queued, outside the bound (housekeeping).
    func later(_ work: @escaping @Sendable () -> Void) { queue.async(execute: work) }
}
