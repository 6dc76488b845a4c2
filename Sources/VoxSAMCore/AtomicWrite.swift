#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Writes outputs atomically: the content goes to a temporary file beside the destination, which is
/// renamed over the destination only when complete and fsynced — alone, or together with the other
/// files of the current `OutputGroup`. A failure leaves nothing behind and the old file untouched.
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
        return url.deletingLastPathComponent().appendingPathComponent(".\(stem)\(TemporaryFiles.marker)\(getpid())-\(tag)\(ext)").path
    }

    /// Calls `body` with a temporary path to write `path`'s content to. Inside an `OutputGroup` the
    /// file is staged there; otherwise it is committed at once. On any error the temporary file is
    /// removed, the destination is untouched, and the error names `path` (not the temporary file).
    public static func write(to path: String, _ body: (String) throws -> Void) throws {
        try OutputGroup.commit { group in
            let tmp = try group.stage(path)
            do {
                try body(tmp)
            } catch {
                group.unstage(path)
                throw describe(error, path: path)
            }
        }
    }

    /// Writes `data` atomically (every write and the fsync checked).
    public static func write(_ data: Data, to path: String) throws {
        try write(to: path) { tmp in try FileOutput.write(data, to: tmp, destination: path) }
    }

    /// A write failure as a `.writeFailed` error naming `path`, with "disk full" when that is why.
    static func describe(_ error: any Error, path: String) -> VoxSAMError {
        var e = (error as? VoxSAMError) ?? VoxSAMError(.writeFailed, "writing failed", path: path, cause: error)
        if e.code == .writeFailed || e.code == .internal {
            e.code = .writeFailed
            if !e.message.contains("disk full"), let full = FileOutput.diskFullMessage(for: path) {
                e.message = "\(full) (\(e.message))"
            }
        }
        // Never the hidden temporary name: the user asked for `path`.
        if e.path == nil || e.path!.contains(TemporaryFiles.marker) { e.path = path }
        e.message = e.message.replacingOccurrences(of: #"\S*\.voxsam-tmp-\S*"#, with: (path as NSString).lastPathComponent, options: .regularExpression)
        return e
    }
}
