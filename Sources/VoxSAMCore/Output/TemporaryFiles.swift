#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Foundation

/// The temporary files and staging folders of this process's unfinished outputs. SIGINT and SIGTERM
/// remove them all and exit 130/143; a group's renames hold the same lock, so a signal during a
/// commit waits for it to finish (the outputs appear whole or not at all).
public enum TemporaryFiles {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var paths: Set<String> = []
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []
    nonisolated(unsafe) private static var cleanedFolders: Set<String> = []

    /// The marker in every temporary name (`.NAME.voxsam-tmp-PID-TAG.EXT`).
    public static let marker = ".voxsam-tmp-"

    public static func register(_ path: String) { lock.withLock { _ = paths.insert(path) } }
    public static func unregister(_ path: String) { lock.withLock { _ = paths.remove(path) } }

    /// Runs `body` while no signal cleanup can run (it waits for the lock).
    public static func withSignalsHeld<T>(_ body: () throws -> T) rethrows -> T {
        try lock.withLock(body)
    }

    /// Installs the SIGINT/SIGTERM cleanup, and ignores SIGXFSZ (idempotent). Call once at start-up.
    public static func installSignalCleanup() {
        lock.withLock {
            guard sources.isEmpty else { return }
            // A file-size limit (ulimit -f) makes a write fail with EFBIG, reported as a write error
            // (exit 3), instead of killing the process with SIGXFSZ half-way through a file.
            signal(SIGXFSZ, SIG_IGN)
            for sig in [SIGINT, SIGTERM] {
                signal(sig, SIG_IGN)
                let s = DispatchSource.makeSignalSource(signal: sig, queue: DispatchQueue.global(qos: .userInitiated))
                s.setEventHandler {
                    lock.lock()  // never released: the process ends here
                    for p in paths { removeQuietly(p) }
                    let name = sig == SIGINT ? "interrupted" : "terminated"
                    let msg = "voxsam: \(name); unfinished outputs removed\n"
                    _ = msg.withCString { Glibc.write(2, $0, strlen($0)) }
                    _exit(128 + sig)
                }
                s.resume()
                sources.append(s)
            }
        }
    }

    /// Removes temporary files of earlier VoxSAM runs in `folder` that are older than `age` seconds
    /// (a day by default): what a SIGKILL or power loss left. Once per folder and process.
    public static func removeStale(in folder: String, olderThan age: TimeInterval = 86_400) {
        let first = lock.withLock { cleanedFolders.insert(folder).inserted }
        guard first, let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        let limit = Date().addingTimeInterval(-age)
        for n in names where n.hasPrefix(".") && n.contains(marker) {
            let p = (folder as NSString).appendingPathComponent(n)
            if let m = (try? FileManager.default.attributesOfItem(atPath: p))?[.modificationDate] as? Date, m < limit {
                removeQuietly(p)
            }
        }
    }

    private static func removeQuietly(_ p: String) {
        if unlink(p) != 0, errno == EISDIR || errno == EPERM {
            try? FileManager.default.removeItem(atPath: p)
        }
    }
}
