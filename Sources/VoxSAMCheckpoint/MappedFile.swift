#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import VoxSAMCore

/// A read-only memory map of a whole file. Tensor blobs are read in place from this mapping;
/// the mapping lives as long as the object.
final class MappedFile: @unchecked Sendable {
    /// The file that is mapped.
    let path: String
    /// The mapped bytes (read-only).
    let bytes: UnsafeRawBufferPointer

    /// Maps `path` read-only.
    /// - Throws: `.notFound` if the file cannot be opened, `.corruptFile` if it is empty or cannot be mapped.
    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw VoxSAMError(.notFound, "cannot open the checkpoint (\(reason)); check the path or run `voxsam model fetch`",
                              path: path)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let reason = String(cString: strerror(errno))
            throw VoxSAMError(.notFound, "cannot read the checkpoint's size (\(reason))", path: path)
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw VoxSAMError(.invalidArgument, "the checkpoint path is not a regular file; pass the path of the .pth file",
                              path: path)
        }
        let size = Int(st.st_size)
        guard size > 0 else {
            throw VoxSAMError(.corruptFile, "the checkpoint file is empty; re-download it with `voxsam model fetch`", path: path)
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            let reason = String(cString: strerror(errno))
            throw VoxSAMError(.corruptFile, "cannot memory-map the checkpoint (\(reason))", path: path)
        }
        bytes = UnsafeRawBufferPointer(start: UnsafeRawPointer(base), count: size)
    }

    deinit {
        if let base = bytes.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
    }
}
