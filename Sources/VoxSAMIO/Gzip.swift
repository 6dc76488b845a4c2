import CGzip
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import VoxSAMCore

/// gzip/zlib streams through zlib (the one file that crosses into zlib).
enum Gzip {
    /// Inflates a gzip (or zlib) stream. `expectedSize` pre-sizes the output (exactly, when known).
    static func decompress(_ input: UnsafeRawBufferPointer, expectedSize: Int? = nil, path: String) throws -> [UInt8] {
        var stream = z_stream()
        // 15 + 32: auto-detect gzip or zlib header.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw VoxSAMError(.internal, "zlib could not be initialised", path: path)
        }
        defer { inflateEnd(&stream) }
        var out = [UInt8](repeating: 0, count: max(expectedSize ?? input.count * 4, 1024))
        var produced = 0
        stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: UInt8.self).baseAddress)
        stream.avail_in = UInt32(input.count)
        while true {
            if produced == out.count { out.append(contentsOf: repeatElement(0, count: out.count)) }
            let status: Int32 = out.withUnsafeMutableBufferPointer { o in
                stream.next_out = o.baseAddress! + produced
                stream.avail_out = UInt32(min(o.count - produced, Int(UInt32.max)))
                let before = stream.avail_out
                let s = CGzip.inflate(&stream, Z_NO_FLUSH)
                produced += Int(before - stream.avail_out)
                return s
            }
            if status == Z_STREAM_END {
                // Concatenated gzip members: continue with the next one.
                if stream.avail_in > 0 { inflateReset(&stream); continue }
                break
            }
            if status == Z_BUF_ERROR && stream.avail_in == 0 {
                throw VoxSAMError(.corruptFile, "the compressed data ends early (truncated gzip stream)", path: path)
            }
            guard status == Z_OK else {
                throw VoxSAMError(.corruptFile, "the compressed data is corrupt (zlib error \(status))", path: path)
            }
        }
        out.removeSubrange(produced...)
        return out
    }

    /// The most a deflate stream can expand (zlib: 1032:1), with room for headers.
    static func maxInflatedSize(compressed: Int) -> Int {
        let (p, o) = compressed.multipliedReportingOverflow(by: 1032)
        let (q, o2) = p.addingReportingOverflow(4096)
        return o || o2 ? Int.max : q
    }

    /// Inflates the gzip (or zlib) stream that starts at `offset` of the open file `fd`, reading it
    /// in chunks: skips the first `skip` inflated bytes and returns the next `count` exactly.
    /// Stops with `.corruptFile` as soon as the stream holds more than `skip + count` bytes, or
    /// when it ends with fewer. Memory is proportional to the data actually produced.
    /// With `verifyEnd` false it returns as soon as the bytes are there (the rest is not needed).
    static func inflate(fd: Int32, offset: Int, skip: Int, count: Int, verifyEnd: Bool, describe: String, path: String) throws -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw VoxSAMError(.internal, "zlib could not be initialised", path: path)
        }
        defer { inflateEnd(&stream) }
        let chunk = 1 << 18
        let input = UnsafeMutablePointer<UInt8>.allocate(capacity: chunk)
        let scratch = UnsafeMutablePointer<UInt8>.allocate(capacity: chunk)
        defer { input.deallocate(); scratch.deallocate() }
        let declared = skip + count
        var out = [UInt8]()
        out.reserveCapacity(min(count, 1 << 24))
        var filePosition = offset
        var produced = 0
        var fileEnded = false
        var streamEnded = false
        while true {
            if stream.avail_in == 0 && !fileEnded {
                let n = pread(fd, input, chunk, off_t(filePosition))
                guard n >= 0 else {
                    throw VoxSAMError(.corruptFile, "\(describe): cannot be read (\(String(cString: strerror(errno))))", path: path)
                }
                if n == 0 { fileEnded = true } else { filePosition += n }
                stream.next_in = input
                stream.avail_in = UInt32(n)
            }
            if streamEnded {
                // Another gzip member follows (concatenated members are one stream).
                guard stream.avail_in > 0 else { break }
                inflateReset(&stream)
                streamEnded = false
            }
            if stream.avail_in == 0 && fileEnded { break }
            stream.next_out = scratch
            stream.avail_out = UInt32(chunk)
            let status = zlib_inflate(&stream)
            let got = chunk - Int(stream.avail_out)
            if got > 0 {
                let lo = max(0, skip - produced), hi = min(got, declared - produced)
                if lo < hi { out.append(contentsOf: UnsafeBufferPointer(start: scratch + lo, count: hi - lo)) }
                produced += got
                if verifyEnd && produced > declared {
                    throw VoxSAMError(.corruptFile, "\(describe): the compressed stream holds more than the \(declared) bytes the header "
                        + "declares (stopped after \(produced); a decompression bomb or a wrong header)", path: path)
                }
            }
            if !verifyEnd && produced >= declared { break }
            if status == Z_STREAM_END { streamEnded = true; continue }
            if status == Z_BUF_ERROR && stream.avail_in == 0 { continue }
            guard status == Z_OK else {
                throw VoxSAMError(.corruptFile, "\(describe): the compressed data is corrupt (zlib error \(status))", path: path)
            }
        }
        guard produced >= declared else {
            throw VoxSAMError(.corruptFile, "\(describe): the data is too short: the compressed stream holds \(produced) bytes, the header "
                + "declares \(declared) (truncated file)", path: path)
        }
        return out
    }

    private static func zlib_inflate(_ stream: inout z_stream) -> Int32 { CGzip.inflate(&stream, Z_NO_FLUSH) }

    /// Compresses with a gzip header (level 1..9; 6 balances speed and size).
    static func compress(_ input: UnsafeRawBufferPointer, level: Int32 = 6) throws -> Data {
        var stream = z_stream()
        guard deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                            Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw VoxSAMError(.internal, "zlib could not be initialised")
        }
        defer { deflateEnd(&stream) }
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 64)
        stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: UInt8.self).baseAddress)
        stream.avail_in = UInt32(input.count)
        let status: Int32 = out.withUnsafeMutableBufferPointer { o in
            stream.next_out = o.baseAddress
            stream.avail_out = UInt32(o.count)
            return deflate(&stream, Z_FINISH)
        }
        guard status == Z_STREAM_END else { throw VoxSAMError(.internal, "zlib compression failed (\(status))") }
        return Data(out[0..<Int(stream.total_out)])
    }
}

/// zlib's CRC-32 (hardware-assisted where zlib has it): the integrity check of embedding-cache entries,
/// ~10× faster than VoxSAMCore's SHA-256 on their 4 MiB payloads.
public enum CRC32 {
    public static func checksum(_ bytes: UnsafeRawBufferPointer, initial: UInt32 = 0) -> UInt32 {
        var crc = uLong(initial)
        var p = bytes.bindMemory(to: UInt8.self).baseAddress
        var left = bytes.count
        while left > 0, let base = p {
            let n = min(left, Int(UInt32.max))
            crc = CGzip.crc32(crc, base, uInt(n))
            p = base + n
            left -= n
        }
        return UInt32(crc)
    }

    public static func checksum(_ data: Data) -> UInt32 { data.withUnsafeBytes { checksum($0) } }
}
