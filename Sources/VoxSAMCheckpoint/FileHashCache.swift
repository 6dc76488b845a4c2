#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import VoxSAMCore

/// SHA-256 of model files, cached in a small hidden sidecar (`.<name>.voxsam-sha256`) keyed by the
/// file's size, modification and change times, inode and device, so a 39 MB checkpoint is hashed
/// once rather than on every run. Any change to the file (even one that restores the mtime)
/// changes its ctime and invalidates the entry. Writing the sidecar is best effort.
enum FileHashCache {
    /// The sidecar path for `path`.
    static func sidecarPath(for path: String) -> String {
        let url = URL(fileURLWithPath: path)
        return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).voxsam-sha256").path
    }

    /// The SHA-256 of `path`, from the sidecar if it is still valid, else computed (and, if
    /// `store` is true, recorded in the sidecar).
    static func sha256(ofFile path: String, store: Bool) throws -> String {
        guard let key = fingerprint(path) else { return try SHA256.hex(ofFile: path) }
        if let text = try? String(contentsOfFile: sidecarPath(for: path), encoding: .utf8) {
            let parts = text.split(whereSeparator: \.isWhitespace).map(String.init)
            if parts.count == 2, parts[0] == key, parts[1].count == 64 { return parts[1] }
        }
        let hash = try SHA256.hex(ofFile: path)
        if store { record(hash, for: path) }
        return hash
    }

    /// Records `hash` as the SHA-256 of `path` as it is now (best effort, errors are ignored).
    static func record(_ hash: String, for path: String) {
        guard let key = fingerprint(path) else { return }
        try? AtomicWrite.write(Data("\(key) \(hash)\n".utf8), to: sidecarPath(for: path))
    }

    /// `size-mtime-ctime-inode-device` of a regular file, or nil if it cannot be stat'ed.
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
