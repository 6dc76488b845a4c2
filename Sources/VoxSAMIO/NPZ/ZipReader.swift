import CGzip
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import VoxSAMCore

/// Reads the members of a ZIP archive (a NumPy `.npz`) from an open file, every offset and size
/// checked against the file's length before it is used. ZIPFoundation (which VoxSAM still uses to
/// write archives) loops forever on a deflated member whose stream does not end before the file
/// does — its inflate loop ignores the member's size and keeps reading 0 bytes at end of file (a
/// 776-byte `.npz` found by the npz fuzz target hung `voxsam info`) — so reading is done here:
/// central directory (ZIP64 included) → local header → exactly `compressedSize` bytes, inflated
/// in chunks handed to the caller, who may stop at any chunk by throwing. CRC-32 is verified.
struct ZipReader {
    struct Member {
        var name: String
        /// 0 = stored, 8 = deflated.
        var method: Int
        var compressedSize: Int
        var uncompressedSize: Int
        var crc32: UInt32
        var localHeaderOffset: Int
        var isDirectory: Bool { name.hasSuffix("/") }
    }

    let fd: Int32
    let fileSize: Int
    let path: String
    private(set) var members: [Member] = []

    /// Opens `path` and reads its central directory.
    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw VoxSAMError(.notFound, "cannot be opened (\(String(cString: strerror(errno))))", path: path)
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else { Self.closeFile(fd); throw VoxSAMError(.corruptFile, "cannot be read", path: path) }
        self.fd = fd
        fileSize = Int(st.st_size)
        do { members = try readDirectory() } catch { Self.closeFile(fd); throw error }
    }

    /// Closes the file (call once, when done).
    func close() { Self.closeFile(fd) }
    private static func closeFile(_ fd: Int32) {
        #if canImport(Glibc)
        _ = Glibc.close(fd)
        #else
        _ = Darwin.close(fd)
        #endif
    }

    private func fail(_ message: String) -> VoxSAMError {
        VoxSAMError(.corruptFile, "not a readable zip archive: \(message)", path: path)
    }

    /// `count` bytes at `offset`, which must lie inside the file.
    private func bytes(at offset: Int, count: Int, what: String) throws -> [UInt8] {
        guard offset >= 0, count >= 0, count <= fileSize, offset <= fileSize - count else {
            throw fail("\(what) lies outside the file (offset \(offset), \(count) bytes, file \(fileSize) bytes)")
        }
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw fail("\(what) cannot be read") }
            done += n
        }
        return out
    }

    private static func u16(_ b: [UInt8], _ at: Int) -> Int { Int(b[at]) | Int(b[at + 1]) << 8 }
    private static func u32(_ b: [UInt8], _ at: Int) -> Int { u16(b, at) | u16(b, at + 2) << 16 }
    /// A ZIP64 size or offset: above Int.max it can only be wrong (the file is smaller).
    private static func u64(_ b: [UInt8], _ at: Int) -> Int {
        let v = UInt64(u32(b, at)) | UInt64(u32(b, at + 4)) << 32
        return v > UInt64(Int.max) ? Int.max : Int(v)
    }

    private func readDirectory() throws -> [Member] {
        // End of central directory: 22 bytes + a comment of up to 65535, at the end of the file.
        guard fileSize >= 22 else { throw fail("too short for a zip archive (\(fileSize) bytes)") }
        let tailCount = min(fileSize, 22 + 65535)
        let tail = try bytes(at: fileSize - tailCount, count: tailCount, what: "the end of the archive")
        guard let eocd = stride(from: tailCount - 22, through: 0, by: -1).first(where: {
            tail[$0] == 0x50 && tail[$0 + 1] == 0x4b && tail[$0 + 2] == 5 && tail[$0 + 3] == 6
        }) else { throw fail("no end-of-central-directory record") }
        var entries = Self.u16(tail, eocd + 10)
        var directorySize = Self.u32(tail, eocd + 12)
        var directoryOffset = Self.u32(tail, eocd + 16)
        // ZIP64: a locator 20 bytes before the record points at the ZIP64 end record.
        let eocdOffset = fileSize - tailCount + eocd
        if eocdOffset >= 20 {
            let loc = try bytes(at: eocdOffset - 20, count: 20, what: "the ZIP64 locator")
            if loc[0] == 0x50 && loc[1] == 0x4b && loc[2] == 6 && loc[3] == 7 {
                let rec = try bytes(at: Self.u64(loc, 8), count: 56, what: "the ZIP64 end record")
                guard rec[0] == 0x50 && rec[1] == 0x4b && rec[2] == 6 && rec[3] == 6 else { throw fail("bad ZIP64 end record") }
                entries = Self.u64(rec, 32)
                directorySize = Self.u64(rec, 40)
                directoryOffset = Self.u64(rec, 48)
            }
        }
        guard entries <= directorySize / 46 + 1 else { throw fail("\(entries) entries cannot fit a central directory of \(directorySize) bytes") }
        let dir = try bytes(at: directoryOffset, count: directorySize, what: "the central directory")
        var members: [Member] = []
        var names = Set<String>(), offsets = Set<Int>()
        var at = 0
        for n in 0..<entries {
            guard at <= dir.count - 46, Self.u32(dir, at) == 0x0201_4b50 else { throw fail("central directory entry \(n) is damaged") }
            let flags = Self.u16(dir, at + 8)
            let method = Self.u16(dir, at + 10)
            let nameCount = Self.u16(dir, at + 28), extraCount = Self.u16(dir, at + 30), commentCount = Self.u16(dir, at + 32)
            let end = at + 46 + nameCount + extraCount + commentCount
            guard end <= dir.count else { throw fail("central directory entry \(n) runs past the directory") }
            let name = String(decoding: dir[(at + 46)..<(at + 46 + nameCount)], as: UTF8.self)
            var m = Member(name: name, method: method, compressedSize: Self.u32(dir, at + 20),
                           uncompressedSize: Self.u32(dir, at + 24), crc32: UInt32(Self.u32(dir, at + 16)),
                           localHeaderOffset: Self.u32(dir, at + 42))
            // ZIP64 extra field (id 1): the 64-bit values of the fields that hold 0xFFFFFFFF, in order.
            var e = at + 46 + nameCount
            let extraEnd = e + extraCount
            while e + 4 <= extraEnd {
                let id = Self.u16(dir, e), size = Self.u16(dir, e + 2)
                guard e + 4 + size <= extraEnd else { break }
                if id == 1 {
                    var p = e + 4
                    func next() throws -> Int {
                        guard p + 8 <= e + 4 + size else { throw fail("member `\(name)`: its ZIP64 field is too short") }
                        defer { p += 8 }
                        return Self.u64(dir, p)
                    }
                    if m.uncompressedSize == 0xFFFF_FFFF { m.uncompressedSize = try next() }
                    if m.compressedSize == 0xFFFF_FFFF { m.compressedSize = try next() }
                    if m.localHeaderOffset == 0xFFFF_FFFF { m.localHeaderOffset = try next() }
                }
                e += 4 + size
            }
            guard flags & 1 == 0 else { throw fail("member `\(name)` is encrypted") }
            // Entries sharing a name or a member's bytes would make one small archive inflate the same
            // data again and again (a decompression bomb); a real archive has neither.
            guard names.insert(m.name).inserted, offsets.insert(m.localHeaderOffset).inserted else {
                throw fail("member `\(name)` appears twice (or shares another member's data)")
            }
            members.append(m)
            at = end
        }
        return members
    }

    /// Streams member `m`'s data to `consumer` in chunks (inflated when deflated): never more than
    /// the member's compressed bytes are read, and a stream that ends early, runs on, or fails its
    /// CRC is an error.
    func read(_ m: Member, consumer: ([UInt8]) throws -> Void) throws {
        let local = try bytes(at: m.localHeaderOffset, count: 30, what: "the local header of `\(m.name)`")
        guard Self.u32(local, 0) == 0x0403_4b50 else { throw fail("member `\(m.name)`: bad local header") }
        let start = m.localHeaderOffset + 30 + Self.u16(local, 26) + Self.u16(local, 28)
        guard m.compressedSize <= fileSize, start <= fileSize - m.compressedSize else {
            throw fail("member `\(m.name)`: its \(m.compressedSize) bytes run past the end of the file (truncated archive)")
        }
        var crc = CGzip.crc32(0, nil, 0)
        let chunk = 1 << 18
        switch m.method {
        case 0:
            var done = 0
            while done < m.compressedSize {
                let part = try bytes(at: start + done, count: min(chunk, m.compressedSize - done), what: "member `\(m.name)`")
                crc = part.withUnsafeBufferPointer { CGzip.crc32(crc, $0.baseAddress, uInt($0.count)) }
                try consumer(part)
                done += part.count
            }
        case 8:
            var stream = z_stream()
            guard inflateInit2_(&stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                throw VoxSAMError(.internal, "zlib could not be initialised", path: path)
            }
            defer { inflateEnd(&stream) }
            let input = UnsafeMutablePointer<UInt8>.allocate(capacity: chunk)
            let output = UnsafeMutablePointer<UInt8>.allocate(capacity: chunk)
            defer { input.deallocate(); output.deallocate() }
            var consumed = 0
            var ended = false
            while !ended {
                if stream.avail_in == 0 {
                    guard consumed < m.compressedSize else {
                        throw fail("member `\(m.name)`: its compressed data ends before the deflate stream does (truncated archive)")
                    }
                    let part = try bytes(at: start + consumed, count: min(chunk, m.compressedSize - consumed), what: "member `\(m.name)`")
                    part.withUnsafeBufferPointer { input.update(from: $0.baseAddress!, count: part.count) }
                    consumed += part.count
                    stream.next_in = input
                    stream.avail_in = uInt(part.count)
                }
                stream.next_out = output
                stream.avail_out = uInt(chunk)
                let status = CGzip.inflate(&stream, Z_NO_FLUSH)
                let got = chunk - Int(stream.avail_out)
                if got > 0 {
                    crc = CGzip.crc32(crc, output, uInt(got))
                    try consumer(Array(UnsafeBufferPointer(start: output, count: got)))
                }
                switch status {
                case Z_STREAM_END: ended = true
                case Z_OK: continue
                case Z_BUF_ERROR where stream.avail_in == 0: continue
                default: throw fail("member `\(m.name)`: its deflated data is corrupt (zlib error \(status))")
                }
            }
        default:
            throw fail("member `\(m.name)` uses compression method \(m.method) (only stored and deflated members are read)")
        }
        guard UInt32(crc) == m.crc32 else {
            throw fail("member `\(m.name)`: CRC-32 mismatch (damaged archive)")
        }
    }
}
