#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import VoxSAMCore

/// SHA-256 of model files, cached so that a 39 MB checkpoint is hashed once rather than on every
/// run. Each entry is a small file in `<model folder>/.sha256-cache/`, named after the checkpoint's
/// absolute path and keyed by the file's size, modification and change times, inode and device.
/// Any change to the file (even one that restores the mtime) changes its ctime and invalidates the
/// entry. Reading and writing the cache is best effort: without it, the file is simply hashed.
enum FileHashCache {
    /// The cache entry for `path` inside `cacheDirectory` (the model folder).
    static func entryPath(for path: String, cacheDirectory: String) -> String {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let name = String(SHA256.hex(of: absolute.utf8).prefix(24))
        return URL(fileURLWithPath: cacheDirectory).appendingPathComponent(".sha256-cache/\(name)").path
    }

    /// The SHA-256 of `path`, from the cache if the entry is still valid, else computed and recorded.
    static func sha256(ofFile path: String, cacheDirectory: String) throws -> String {
        guard let key = fingerprint(path) else { return try SHA256.hex(ofFile: path) }
        let entry = entryPath(for: path, cacheDirectory: cacheDirectory)
        if let text = try? String(contentsOfFile: entry, encoding: .utf8) {
            let parts = text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
            if parts.count >= 2, parts[0] == key, parts[1].count == 64 { return parts[1] }
        }
        let hash = try SHA256.hex(ofFile: path)
        record(hash, for: path, cacheDirectory: cacheDirectory)
        return hash
    }

    /// Records `hash` as the SHA-256 of `path` as it is now (best effort; errors are ignored).
    static func record(_ hash: String, for path: String, cacheDirectory: String) {
        guard let key = fingerprint(path) else { return }
        let entry = entryPath(for: path, cacheDirectory: cacheDirectory)
        let folder = URL(fileURLWithPath: entry).deletingLastPathComponent().path
        guard (try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)) != nil else { return }
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        try? AtomicWrite.write(Data("\(key)\n\(hash)\n\(absolute)\n".utf8), to: entry)
    }

    /// `v1:size:mtime:ctime:inode:device` of a regular file, or nil if it cannot be stat'ed.
    static func fingerprint(_ path: String) -> String? {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        #if canImport(Darwin)
        let m = st.st_mtimespec, c = st.st_ctimespec
        #else
        let m = st.st_mtim, c = st.st_ctim
        #endif
        return "v1:\(st.st_size):\(m.tv_sec).\(m.tv_nsec):\(c.tv_sec).\(c.tv_nsec):\(st.st_ino):\(st.st_dev)"
    }
}
