#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import VoxSAMCore

/// Reads the voxel bytes a header declares, after comparing the declaration with what the file
/// holds: raw data against the file size, compressed data while it is inflated (stopping as soon
/// as it holds more than declared). Nothing the size of the declaration is allocated up front.
enum DeclaredData {
    enum Encoding: Sendable { case raw, gzip }

    /// - Parameters:
    ///   - file: the file holding the data (the header itself, or a detached data file).
    ///   - offset: where the data (raw) or the compressed stream (gzip) starts in `file`.
    ///   - skip: inflated bytes to skip before the data (gzip only).
    ///   - count: the bytes the header declares.
    ///   - describe: names the data in messages ("data file x.raw", "voxel data").
    ///   - path: the file named in errors (the header).
    ///   - verifyEnd: gzip: also check that the stream ends with the data (false when more data,
    ///     e.g. further volumes, legitimately follow and are not needed).
    static func read(file: String, offset: Int, encoding: Encoding, skip: Int = 0, count: Int, verifyEnd: Bool = true,
                     describe: String, path: String) throws -> [UInt8] {
        switch ReadLimits.kind(of: file) {
        case .regular, .missing: break
        case .directory: throw VoxSAMError(.invalidArgument, "\(describe) is not a regular file (it is a folder)", path: path)
        case .other(let what): throw VoxSAMError(.invalidArgument, "\(describe) is not a regular file (it is \(what))", path: path)
        }
        let fd = open(file, O_RDONLY)
        guard fd >= 0 else {
            throw VoxSAMError(.notFound, "\(describe): cannot be opened (\(String(cString: strerror(errno))))", path: path)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw VoxSAMError(.notFound, "\(describe): cannot be read (\(String(cString: strerror(errno))))", path: path)
        }
        let size = Int(st.st_size)
        guard offset >= 0, offset <= size else {
            throw VoxSAMError(.corruptFile, "\(describe): the file ends (\(size) bytes) before its data starts at byte \(offset) (truncated file)",
                              path: path)
        }
        switch encoding {
        case .raw:
            let end = try ReadLimits.sum(offset, count, field: describe, path: path)
            guard end <= size else {
                throw VoxSAMError(.corruptFile, "\(describe): the data is too short: the header declares \(count) bytes from byte \(offset), "
                    + "the file holds \(size - offset) (truncated file)", path: path)
            }
            return try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
                var done = 0
                while done < count {
                    let n = pread(fd, buffer.baseAddress! + done, count - done, off_t(offset + done))
                    guard n > 0 else {
                        throw VoxSAMError(.corruptFile, "\(describe): read failed after \(done) of \(count) bytes", path: path)
                    }
                    done += n
                }
                initialized = count
            }
        case .gzip:
            let declared = try ReadLimits.sum(skip, count, field: describe, path: path)
            let compressed = size - offset
            let most = Gzip.maxInflatedSize(compressed: compressed)
            guard declared <= most else {
                throw VoxSAMError(.corruptFile, "\(describe): the header declares \(declared) bytes but \(compressed) compressed bytes "
                    + "inflate to at most \(most) (truncated file or wrong header)", path: path)
            }
            return try Gzip.inflate(fd: fd, offset: offset, skip: skip, count: count, verifyEnd: verifyEnd, describe: describe, path: path)
        }
    }

    /// Whether `file` starts with the gzip magic (1f 8b) at `offset`.
    static func isGzip(_ file: String, offset: Int = 0) -> Bool {
        let fd = open(file, O_RDONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var magic: (UInt8, UInt8) = (0, 0)
        let n = withUnsafeMutableBytes(of: &magic) { pread(fd, $0.baseAddress, 2, off_t(offset)) }
        return n == 2 && magic.0 == 0x1F && magic.1 == 0x8B
    }
}
