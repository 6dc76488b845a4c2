#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Checked file output: every `write(2)` and `fsync(2)` result is looked at, so a full disk, a
/// quota or a file-size limit is an error naming the user's path — never a short file with exit 0.
public enum FileOutput {
    /// Writes `bytes` to a new file `temporary` (created with mode 0666 & ~umask), fsyncs and closes
    /// it. Errors name `destination`, the file the user asked for.
    public static func write(_ bytes: UnsafeRawBufferPointer, to temporary: String, destination: String) throws {
        try write(parts: [bytes], to: temporary, destination: destination)
    }

    public static func write(_ data: Data, to temporary: String, destination: String) throws {
        try data.withUnsafeBytes { try write($0, to: temporary, destination: destination) }
    }

    /// Writes the parts one after another into one new file.
    public static func write(parts: [UnsafeRawBufferPointer], to temporary: String, destination: String) throws {
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw failure(errno, "cannot create the file", destination: destination) }
        var closed = false
        defer { if !closed { close(fd) } }
        for part in parts {
            guard var p = part.baseAddress else { continue }
            var left = part.count
            while left > 0 {
                let n = Glibc.write(fd, p, min(left, 1 << 30))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw failure(errno, "writing failed", destination: destination)
                }
                if n == 0 { throw failure(EIO, "writing failed (no progress)", destination: destination) }
                left -= n
                p += n
            }
        }
        guard fsync(fd) == 0 else { throw failure(errno, "the data could not be flushed to disk", destination: destination) }
        closed = true
        guard close(fd) == 0 else { throw failure(errno, "closing the file failed", destination: destination) }
    }

    /// fsyncs a file some library wrote (errors name `destination`).
    public static func sync(file path: String, destination: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure(errno, "the written file cannot be opened again", destination: destination) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw failure(errno, "the data could not be flushed to disk", destination: destination) }
    }

    /// fsyncs a folder, so that renames in it survive a crash (best effort: some file systems refuse).
    public static func sync(folder: String) {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    /// The error for `errno` `code` while writing `destination`: "disk full" for ENOSPC/EDQUOT (naming
    /// the folder), the file-size limit for EFBIG, else the system's words.
    public static func failure(_ code: Int32, _ what: String, destination: String) -> VoxSAMError {
        let folder = URL(fileURLWithPath: destination).deletingLastPathComponent().path
        switch code {
        case ENOSPC, EDQUOT:
            return VoxSAMError(.writeFailed, "disk full: no space left in \(folder) (\(what))", path: destination)
        case EFBIG:
            return VoxSAMError(.writeFailed, "the file would exceed the file-size limit (ulimit -f) (\(what))", path: destination)
        case EROFS:
            return VoxSAMError(.writeFailed, "the folder \(folder) is on a read-only file system", path: destination)
        case EACCES, EPERM:
            return VoxSAMError(.writeFailed, "permission denied in \(folder) (\(what))", path: destination)
        default:
            return VoxSAMError(.writeFailed, "\(what): \(String(cString: strerror(code)))", path: destination)
        }
    }

    /// "disk full" when the folder of `destination` has (almost) no space left — for failures that a
    /// library reported without errno (libpng, DCMTK, ZIP).
    public static func diskFullMessage(for destination: String) -> String? {
        let folder = URL(fileURLWithPath: destination).deletingLastPathComponent().path
        var s = statvfs()
        guard statvfs(folder, &s) == 0 else { return nil }
        let free = UInt64(s.f_bavail) * UInt64(s.f_frsize)
        return free < 1 << 20 ? "disk full: no space left in \(folder)" : nil
    }
}
