import Foundation
import VoxSAMCore
import ZIPFoundation

/// A NumPy `.npz` archive (a zip of `.npy` members, stored or deflated) — read and written with ZIPFoundation.
public struct NPZArchive: Sendable {
    public var arrays: [String: NPYArray]

    public init(arrays: [String: NPYArray] = [:]) { self.arrays = arrays }

    public subscript(name: String) -> NPYArray? { arrays[name] }

    public static func read(path: String) throws -> NPZArchive {
        try FormatDetection.checkReadable(path)
        let archive: Archive
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw VoxSAMError(.corruptFile, "not a readable .npz (zip) archive", path: path, cause: error)
        }
        var arrays: [String: NPYArray] = [:]
        for entry in archive where entry.type == .file && entry.path.hasSuffix(".npy") {
            var bytes = [UInt8]()
            bytes.reserveCapacity(Int(entry.uncompressedSize))
            do {
                _ = try archive.extract(entry, skipCRC32: false) { chunk in bytes.append(contentsOf: chunk) }
            } catch {
                throw VoxSAMError(.corruptFile, "member \(entry.path) cannot be extracted (corrupt or truncated archive)", path: path, cause: error)
            }
            let name = String(entry.path.dropLast(4))
            arrays[name] = try NPYArray(npy: bytes, name: name, path: path)
        }
        if arrays.isEmpty {
            throw VoxSAMError(.corruptFile, "the archive holds no .npy arrays", path: path)
        }
        return NPZArchive(arrays: arrays)
    }

    /// Writes the archive (deflated members, as `np.savez_compressed`) atomically.
    public func write(to path: String) throws {
        // Built in memory, then written with every write checked.
        let archive: Archive
        do { archive = try Archive(data: Data(), accessMode: .create) } catch {
            throw VoxSAMError(.internal, "cannot create a ZIP archive in memory: \(error)", path: path)
        }
        for name in arrays.keys.sorted() {
            let bytes = Data(arrays[name]!.npyBytes)
            try archive.addEntry(with: name + ".npy", type: .file, uncompressedSize: Int64(bytes.count),
                                 compressionMethod: .deflate) { position, size in
                bytes.subdata(in: Int(position)..<(Int(position) + size))
            }
        }
        guard let data = archive.data else { throw VoxSAMError(.internal, "the ZIP archive has no data", path: path) }
        try AtomicWrite.write(data, to: path)
    }
}
