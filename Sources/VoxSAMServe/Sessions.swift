import Foundation
import VoxSAMCore
import VoxSAMSegment

/// An image the server holds in memory for a client: the volume as read and the embeddings of the
/// slices already encoded, so that the next request on it (another ROI, a correction) runs the
/// decoder only. Its `volume` and `cache` are touched on the model worker's queue only; its idle
/// clock belongs to the store (under its lock).
final class Session: @unchecked Sendable {
    enum Source {
        /// A datastore image, by ID (its file is looked up when read: a re-upload replaces it).
        case datastore(String)
        /// A `PUT /session/` upload, by session ID (in the sessions datastore, removed with the session).
        case upload(String)
    }
    /// `image:ID` or `session:UUID`.
    let key: String
    let source: Source
    let created = Date()
    fileprivate var lastUsed = Date()
    var volume: Volume?
    var cache = EmbeddingCache.inMemory()

    init(key: String, source: Source) {
        self.key = key; self.source = source
    }

    /// The image or session ID (never logged: IDs may be patients' names).
    var name: String {
        switch source { case .datastore(let id), .upload(let id): id }
    }

    /// Memory held: the volume's voxels and the cached embeddings.
    var bytes: Int { (volume.map { $0.voxels.count * $0.voxels.type.byteCount } ?? 0) + cache.memoryUsage.bytes }

    /// Drops the volume and embeddings (they are read and encoded again when next needed).
    func unload() {
        volume = nil
        cache = EmbeddingCache.inMemory()
    }
}

/// The sessions, with idle expiry and bounds on how many images, and how many bytes, are held in
/// memory at once.
final class SessionStore: @unchecked Sendable {
    private let lock = NSLock()
    private var sessions: [String: Session] = [:]
    let idleSeconds: Double
    let maxLoaded: Int
    let maxBytes: Int

    init(idleSeconds: Double, maxLoaded: Int, maxBytes: Int) {
        self.idleSeconds = idleSeconds; self.maxLoaded = max(1, maxLoaded); self.maxBytes = maxBytes
    }

    /// The session of `key` (its idle clock restarts), or nil.
    func get(_ key: String) -> Session? {
        lock.lock(); defer { lock.unlock() }
        sessions[key]?.lastUsed = Date()
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

    /// Whether `s` is still the store's session for its key (not expired, deleted or replaced).
    func isCurrent(_ s: Session) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return sessions[s.key] === s
    }

    func lastUsed(_ s: Session) -> Date {
        lock.lock(); defer { lock.unlock() }
        return s.lastUsed
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

    /// Unloads the least recently used sessions, `keeping` one, until at most `maxLoaded` hold
    /// memory and together at most `maxBytes`. Call on the model worker's queue.
    func makeRoom(keeping key: String) {
        lock.lock(); defer { lock.unlock() }
        var loaded = sessions.values.filter { $0.volume != nil || $0.cache.memoryUsage.entries > 0 }.sorted { $0.lastUsed < $1.lastUsed }
        var total = loaded.reduce(0) { $0 + $1.bytes }
        while loaded.count > maxLoaded || total > maxBytes, let victim = loaded.first(where: { $0.key != key }) {
            total -= victim.bytes
            victim.unload()
            loaded.removeAll { $0 === victim }
        }
    }
}

/// The one thread that runs the model, behind a bounded queue: a request that finds `capacity`
/// requests in it (running or waiting) is refused at once (503, Retry-After), and one that waited
/// longer than `timeout` before its turn is refused instead of run.
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
