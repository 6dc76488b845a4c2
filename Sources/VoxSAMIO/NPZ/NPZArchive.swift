import Foundation
import VoxSAMCore
import ZIPFoundation

/// A NumPy `.npz` archive (a zip of `.npy` members, stored or deflated) — read and written with ZIPFoundation.
public struct NPZArchive: Sendable {
    public var arrays: [String: NPYArray]

    public init(arrays: [String: NPYArray] = [:]) { self.arrays = arrays }

    public subscript(name: String) -> NPYArray? { arrays[name] }

    /// Reads the `.npy` members of an archive; with `members`, only those (names without `.npy`)
    /// are inflated and the others are never touched. Each member's header is checked (overflow,
    /// `maxVoxels`) as soon as it is inflated, and inflating stops with an error as soon as the
    /// member holds more bytes than its header declares.
    public static func read(path: String, members: Set<String>? = nil,
                            maxVoxels: Int = ReadLimits.defaultMaxVoxels) throws -> NPZArchive {
        try FormatDetection.checkReadable(path)
        try ReadLimits.requireRegularFileOrFolder(path, allowFolder: false)
        let zip = try ZipReader(path: path)
        defer { zip.close() }
        var arrays: [String: NPYArray] = [:]
        for member in zip.members where !member.isDirectory && member.name.hasSuffix(".npy") {
            let name = String(member.name.dropLast(4))
            if let members, !members.contains(name) { continue }
            arrays[name] = try extract(member, name: name, from: zip, path: path, maxVoxels: maxVoxels)
        }
        if arrays.isEmpty {
            throw VoxSAMError(.corruptFile, "the archive holds no .npy arrays\(members.map { " named " + $0.sorted().joined(separator: ", ") } ?? "")",
                              path: path)
        }
        return NPZArchive(arrays: arrays)
    }

    /// Inflates one member, bounded by what its `.npy` header declares.
    private static func extract(_ member: ZipReader.Member, name: String, from zip: ZipReader, path: String, maxVoxels: Int) throws -> NPYArray {
        var bytes = [UInt8]()
        var header: NPYArray.Header?
        try zip.read(member) { chunk in
            bytes.append(contentsOf: chunk)
            if header == nil, let h = try NPYArray.parseHeader(bytes, name: name, path: path, maxVoxels: maxVoxels) {
                header = h
                let declared = h.dataStart + h.dataCount
                let most = member.method == 0 ? member.compressedSize : Gzip.maxInflatedSize(compressed: member.compressedSize)
                guard declared <= most else {
                    throw VoxSAMError(.corruptFile, "array `\(name)`: its header declares \(declared) bytes but the member's "
                        + "\(member.compressedSize) \(member.method == 0 ? "stored bytes hold" : "compressed bytes inflate to at most") \(most) "
                        + "(truncated archive or wrong header)", path: path)
                }
                bytes.reserveCapacity(declared)
            }
            if let h = header, bytes.count > h.dataStart + h.dataCount {
                throw VoxSAMError(.corruptFile, "array `\(name)`: the member inflates to more than the \(h.dataStart + h.dataCount) "
                    + "bytes its header declares (a decompression bomb or a wrong header)", path: path)
            }
        }
        return try NPYArray(npy: bytes, name: name, path: path, maxVoxels: maxVoxels)
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
