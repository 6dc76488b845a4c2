#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Checks every reader applies to numbers and paths taken from a file before trusting them:
/// size products (Swift's `*` traps on overflow), the voxel limit, and the kind of file.
public enum ReadLimits {
    /// The default `maxVoxels`: 2^30 voxels (1024³; 4 GiB as float32).
    public static let defaultMaxVoxels = 1 << 30

    /// The product of sizes declared by a file header, or `.corruptFile` naming `field` when a
    /// factor is negative or the product overflows.
    public static func product(_ factors: [Int], field: String, path: String?) throws -> Int {
        var result = 1
        for f in factors {
            guard f >= 0 else {
                throw VoxSAMError(.corruptFile, "\(field): negative size \(f)", path: path)
            }
            let (p, overflow) = result.multipliedReportingOverflow(by: f)
            guard !overflow else {
                throw VoxSAMError(.corruptFile, "\(field): the size product \(factors.map(String.init).joined(separator: " x ")) overflows",
                                  path: path)
            }
            result = p
        }
        return result
    }

    /// `a + b` for offsets read from a file, or `.corruptFile` naming `field` on overflow.
    public static func sum(_ a: Int, _ b: Int, field: String, path: String?) throws -> Int {
        let (s, overflow) = a.addingReportingOverflow(b)
        guard !overflow, s >= 0 else { throw VoxSAMError(.corruptFile, "\(field): offset \(a) + \(b) overflows", path: path) }
        return s
    }

    /// Refuses a volume of more than `limit` voxels (before anything is allocated for it).
    public static func checkVoxels(_ count: Int, limit: Int, field: String, path: String?) throws {
        guard count <= limit else {
            throw VoxSAMError(.unsupportedData, "\(field): the image has \(count) voxels, more than the limit of \(limit); "
                + "raise it with --max-voxels N (VolumeReadOptions.maxVoxels) if this is intended", path: path)
        }
    }

    /// What `path` is on disk.
    public enum FileKind: Sendable, Equatable {
        case missing, regular, directory, other(String)
    }

    /// The kind of `path` (symbolic links followed), from `stat` — never opens the file.
    public static func kind(of path: String) -> FileKind {
        var st = stat()
        guard stat(path, &st) == 0 else { return .missing }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .regular
        case S_IFDIR: return .directory
        case S_IFIFO: return .other("a FIFO (named pipe)")
        case S_IFCHR: return .other("a character device")
        case S_IFBLK: return .other("a block device")
        case S_IFSOCK: return .other("a socket")
        default: return .other("a special file")
        }
    }

    /// Refuses FIFOs, devices and sockets up front (reading them could block or never end).
    /// Missing paths are left to the caller's own "not found" message.
    public static func requireRegularFileOrFolder(_ path: String, allowFolder: Bool = true, what: String = "") throws {
        switch kind(of: path) {
        case .missing, .regular: return
        case .directory:
            if allowFolder { return }
            throw VoxSAMError(.invalidArgument, "\(what.isEmpty ? "" : what + " ")is not a regular file (it is a folder)", path: path)
        case .other(let description):
            throw VoxSAMError(.invalidArgument, "\(what.isEmpty ? "" : what + " ")is not a regular file\(allowFolder ? " or folder" : "") "
                + "(it is \(description)); pass a file", path: path)
        }
    }

    /// The size of a regular file, nil when it cannot be stat'ed.
    public static func fileSize(_ path: String) -> Int? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Int(st.st_size)
    }
}
