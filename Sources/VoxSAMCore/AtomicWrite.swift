#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Writes outputs atomically: the content goes to a temporary file beside the destination, which is
/// renamed over the destination only when complete. A failure leaves nothing behind.
public enum AtomicWrite {
    /// Checks that the folder of `path` exists and is writable; throws a `.writeFailed` error naming it.
    public static func checkDestination(_ path: String) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw VoxSAMError(.writeFailed, "the output folder \(dir) does not exist; create it first", path: path)
        }
        guard access(dir, W_OK) == 0 else {
            throw VoxSAMError(.writeFailed, "the output folder \(dir) is not writable", path: path)
        }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            throw VoxSAMError(.writeFailed, "the output path is a folder, not a file", path: path)
        }
    }

    /// A temporary path in the same folder as `path` (same file system, so rename is atomic).
    /// The extension(s) of `path` are kept so that libraries choosing a format by extension still work.
    public static func temporaryPath(for path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let name = url.lastPathComponent
        let dot = name.firstIndex(of: ".") ?? name.endIndex
        let stem = name[..<dot], ext = name[dot...]
        let tag = String(UInt64.random(in: 0..<UInt64.max), radix: 36)
        return url.deletingLastPathComponent().appendingPathComponent(".\(stem).voxsam-tmp-\(getpid())-\(tag)\(ext)").path
    }

    /// Calls `body` with a temporary path, then renames it to `path`. On any error the temporary
    /// file is removed and the destination is left untouched.
    public static func write(to path: String, _ body: (String) throws -> Void) throws {
        try checkDestination(path)
        let tmp = temporaryPath(for: path)
        do {
            try body(tmp)
            // Data on disk before the name: a crash cannot leave an empty file under the final name.
            let fd = open(tmp, O_RDONLY)
            if fd >= 0 { fsync(fd); close(fd) }
            guard rename(tmp, path) == 0 else {
                let msg = String(cString: strerror(errno))
                throw VoxSAMError(.writeFailed, "could not move the finished file into place: \(msg)", path: path)
            }
        } catch {
            unlink(tmp)
            if let e = error as? VoxSAMError { throw e }
            throw VoxSAMError(.writeFailed, "writing failed", path: path, cause: error)
        }
    }

    /// Writes `data` atomically.
    public static func write(_ data: Data, to path: String) throws {
        try write(to: path) { tmp in
            do { try data.write(to: URL(fileURLWithPath: tmp)) } catch {
                throw VoxSAMError(.writeFailed, "could not write the file: \(error.localizedDescription)", path: path)
            }
        }
    }
}
