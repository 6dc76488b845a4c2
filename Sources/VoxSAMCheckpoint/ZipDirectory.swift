import VoxSAMCore

/// One member of a zip archive, as described by its central-directory record.
struct ZipEntry: Sendable {
    /// Name of the member inside the archive (e.g. `archive/data/0`).
    let name: String
    /// Compression method (0 = stored, 8 = deflate).
    let method: UInt16
    /// Size of the member's data in the archive.
    let compressedSize: Int
    /// Size of the member's contents after decompression.
    let uncompressedSize: Int
    /// Offset of the member's data (just after its local header) from the start of the archive.
    let dataOffset: Int
}

/// A minimal reader of a zip archive's central directory (including zip64 records), working
/// directly on the mapped bytes of the archive. It does not decompress: PyTorch checkpoints
/// store every member uncompressed, so members are read in place.
struct ZipDirectory {
    /// All members in central-directory order.
    let entries: [ZipEntry]
    private let index: [String: Int]

    /// The member called `name`, if any.
    subscript(name: String) -> ZipEntry? {
        index[name].map { entries[$0] }
    }

    /// Parses the central directory of the archive in `bytes`.
    /// - Throws: `.corruptFile` naming what is broken (missing end record, truncated directory,
    ///   member data outside the file…), `.unsupportedFormat` for encrypted or split archives.
    init(bytes: UnsafeRawBufferPointer, path: String) throws {
        let r = ByteReader(bytes: bytes, path: path)
        let n = bytes.count
        guard n >= 22 else {
            throw ZipDirectory.corrupt("the file is only \(n) bytes long", path: path)
        }

        // End of central directory: the last record whose comment reaches no further than the end.
        var eocd = -1
        var i = n - 22
        let lowest = max(0, n - 22 - 0xFFFF)
        while i >= lowest {
            if try r.u32(i) == 0x0605_4B50, i + 22 + Int(try r.u16(i + 20)) <= n {
                eocd = i
                break
            }
            i -= 1
        }
        guard eocd >= 0 else {
            throw ZipDirectory.corrupt("no end-of-central-directory record was found (the file is truncated or is not a zip archive)",
                                       path: path)
        }
        guard try r.u16(eocd + 4) == 0, try r.u16(eocd + 6) == 0 else {
            throw VoxSAMError(.unsupportedFormat, "the checkpoint is a multi-part (split) zip archive; join it into one file",
                              path: path)
        }
        var entryCount = Int(try r.u16(eocd + 10))
        var directorySize = Int(try r.u32(eocd + 12))
        var directoryOffset = Int(try r.u32(eocd + 16))
        var directoryLimit = eocd

        // Zip64 end-of-central-directory locator (20 bytes just before the classic record).
        if eocd >= 20, try r.u32(eocd - 20) == 0x0706_4B50 {
            let record = try r.int64(eocd - 20 + 8)
            guard record >= 0, record <= eocd - 20 - 56, try r.u32(record) == 0x0606_4B50 else {
                throw ZipDirectory.corrupt("the zip64 end-of-central-directory record is missing or damaged", path: path)
            }
            entryCount = try r.int64(record + 32)
            directorySize = try r.int64(record + 40)
            directoryOffset = try r.int64(record + 48)
            directoryLimit = record
        } else if entryCount == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            throw ZipDirectory.corrupt("the archive needs zip64 records but has none", path: path)
        }
        guard directoryOffset >= 0, directorySize >= 0, directoryOffset <= directoryLimit,
              directorySize <= directoryLimit - directoryOffset else {
            throw ZipDirectory.corrupt(
                "the central directory (offset \(directoryOffset), \(directorySize) bytes) lies outside the file", path: path)
        }
        guard entryCount >= 0, entryCount <= directorySize / 46 else {
            throw ZipDirectory.corrupt("the end record announces \(entryCount) members, more than the central directory can hold",
                                       path: path)
        }

        var entries: [ZipEntry] = []
        entries.reserveCapacity(entryCount)
        var index: [String: Int] = [:]
        var p = directoryOffset
        let end = directoryOffset + directorySize
        for k in 0..<entryCount {
            guard p + 46 <= end, try r.u32(p) == 0x0201_4B50 else {
                throw ZipDirectory.corrupt("central-directory record \(k) at byte \(p) is damaged", path: path)
            }
            let flags = try r.u16(p + 8)
            let method = try r.u16(p + 10)
            var compressed = Int(try r.u32(p + 20))
            var uncompressed = Int(try r.u32(p + 24))
            let nameCount = Int(try r.u16(p + 28))
            let extraCount = Int(try r.u16(p + 30))
            let commentCount = Int(try r.u16(p + 32))
            var headerOffset = Int(try r.u32(p + 42))
            let next = p + 46 + nameCount + extraCount + commentCount
            guard next <= end else {
                throw ZipDirectory.corrupt("central-directory record \(k) runs past the end of the directory", path: path)
            }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(p + 46)..<(p + 46 + nameCount)]), as: UTF8.self)
            guard flags & 1 == 0 else {
                throw VoxSAMError(.unsupportedFormat, "the zip member \(name) is encrypted; checkpoints must not be encrypted",
                                  path: path)
            }

            // Zip64 extended information: 8-byte values for exactly the fields that are saturated.
            var e = p + 46 + nameCount
            let extraEnd = e + extraCount
            while e + 4 <= extraEnd {
                let id = try r.u16(e), size = Int(try r.u16(e + 2))
                guard e + 4 + size <= extraEnd else { break }
                if id == 0x0001 {
                    var f = e + 4
                    if uncompressed == 0xFFFF_FFFF, f + 8 <= e + 4 + size { uncompressed = try r.int64(f); f += 8 }
                    if compressed == 0xFFFF_FFFF, f + 8 <= e + 4 + size { compressed = try r.int64(f); f += 8 }
                    if headerOffset == 0xFFFF_FFFF, f + 8 <= e + 4 + size { headerOffset = try r.int64(f); f += 8 }
                }
                e += 4 + size
            }
            guard compressed >= 0, uncompressed >= 0, headerOffset >= 0, headerOffset <= directoryOffset - 30,
                  try r.u32(headerOffset) == 0x0403_4B50 else {
                throw ZipDirectory.corrupt("the local header of \(name) is missing or damaged", path: path)
            }
            let dataOffset = headerOffset + 30 + Int(try r.u16(headerOffset + 26)) + Int(try r.u16(headerOffset + 28))
            guard dataOffset <= directoryOffset, compressed <= directoryOffset - dataOffset else {
                throw ZipDirectory.corrupt("the data of \(name) (\(compressed) bytes at \(dataOffset)) runs past the end of the file",
                                           path: path)
            }
            index[name] = entries.count
            entries.append(ZipEntry(name: name, method: method, compressedSize: compressed,
                                    uncompressedSize: uncompressed, dataOffset: dataOffset))
            p = next
        }
        self.entries = entries
        self.index = index
    }

    /// The `.corruptFile` error for a broken archive, with the fix.
    static func corrupt(_ detail: String, path: String) -> VoxSAMError {
        VoxSAMError(.corruptFile,
                    "the checkpoint is not a valid zip archive: \(detail); the file is damaged or incomplete — re-download it with `voxsam model fetch`",
                    path: path)
    }
}

/// Bounds-checked little-endian reads from a byte buffer; reading past the end is a `.corruptFile` error.
private struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    let path: String

    @inline(__always)
    private func check(_ offset: Int, _ count: Int) throws {
        guard offset >= 0, offset <= bytes.count - count else {
            throw ZipDirectory.corrupt("a record at byte \(offset) runs past the end of the file", path: path)
        }
    }

    func u16(_ offset: Int) throws -> UInt16 {
        try check(offset, 2)
        return UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    func u32(_ offset: Int) throws -> UInt32 {
        try check(offset, 4)
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// A 64-bit field; values that do not fit in `Int` are reported as -1 (always rejected later).
    func int64(_ offset: Int) throws -> Int {
        try check(offset, 8)
        let v = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        return v <= UInt64(Int.max) ? Int(v) : -1
    }
}
