import CGzip
import Foundation
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
                let s = inflate(&stream, Z_NO_FLUSH)
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
