#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Streaming SHA-256 (FIPS 180-4), used to verify model checkpoints and to write manifests.
///
/// ```swift
/// var h = SHA256()
/// h.update(chunk1); h.update(chunk2)
/// let hex = h.hexDigest()
/// let fileHash = try SHA256.hex(ofFile: "/path/to/lite_medsam.pth")
/// ```
/// The compression loop works on raw pointers (no bounds checks); in release builds it hashes
/// a few hundred MB per second on one core.
public struct SHA256: Sendable {
    /// Size of the digest in bytes.
    public static let digestCount = 32
    /// Size of one compression block in bytes.
    public static let blockCount = 64

    private var h0: UInt32 = 0x6a09_e667, h1: UInt32 = 0xbb67_ae85, h2: UInt32 = 0x3c6e_f372, h3: UInt32 = 0xa54f_f53a
    private var h4: UInt32 = 0x510e_527f, h5: UInt32 = 0x9b05_688c, h6: UInt32 = 0x1f83_d9ab, h7: UInt32 = 0x5be0_cd19
    /// Bytes of an incomplete block waiting for more input (always fewer than 64 are in use).
    private var pending = [UInt8](repeating: 0, count: 64)
    private var pendingCount = 0
    /// Total number of message bytes seen so far.
    private var totalCount: UInt64 = 0

    /// A hasher with the initial SHA-256 state.
    public init() {}

    /// Feeds `bytes` into the hash.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var src = bytes.baseAddress, bytes.count > 0 else { return }
        var remaining = bytes.count
        totalCount &+= UInt64(remaining)
        if pendingCount > 0 {
            let n = min(64 - pendingCount, remaining)
            let start = pendingCount
            pending.withUnsafeMutableBytes { dst in
                guard let d = dst.baseAddress else { return }
                (d + start).copyMemory(from: src, byteCount: n)
            }
            pendingCount += n
            src += n
            remaining -= n
            if pendingCount == 64 {
                let block = pending
                block.withUnsafeBytes { b in
                    if let p = b.baseAddress { compress(p, blocks: 1) }
                }
                pendingCount = 0
            }
        }
        let whole = remaining / 64
        if whole > 0 {
            compress(src, blocks: whole)
            src += whole * 64
            remaining -= whole * 64
        }
        if remaining > 0 {
            let n = remaining
            pending.withUnsafeMutableBytes { dst in
                guard let d = dst.baseAddress else { return }
                d.copyMemory(from: src, byteCount: n)
            }
            pendingCount = n
        }
    }

    /// Feeds a byte sequence (`Data`, `[UInt8]`, `String.UTF8View`, …) into the hash.
    public mutating func update(_ bytes: some Sequence<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { buf in
            update(UnsafeRawBufferPointer(buf))
        }
        if done == nil {
            if let data = bytes as? Data {
                data.withUnsafeBytes { update($0) }
            } else {
                let array = Array(bytes)
                array.withUnsafeBytes { update($0) }
            }
        }
    }

    /// The 32-byte digest of everything fed so far. The hasher itself is not changed, so more
    /// data may still be added afterwards.
    public func finalize() -> [UInt8] {
        var copy = self
        let bitLength = totalCount &* 8
        var padding = [UInt8](repeating: 0, count: pendingCount < 56 ? 64 - pendingCount : 128 - pendingCount)
        padding[0] = 0x80
        for i in 0..<8 {
            padding[padding.count - 1 - i] = UInt8(truncatingIfNeeded: bitLength >> (8 * UInt64(i)))
        }
        let savedTotal = copy.totalCount
        padding.withUnsafeBytes { copy.update($0) }
        copy.totalCount = savedTotal
        precondition(copy.pendingCount == 0, "SHA256 padding must end on a block boundary")
        var out = [UInt8](repeating: 0, count: 32)
        let words = [copy.h0, copy.h1, copy.h2, copy.h3, copy.h4, copy.h5, copy.h6, copy.h7]
        for (i, w) in words.enumerated() {
            out[4 * i] = UInt8(truncatingIfNeeded: w >> 24)
            out[4 * i + 1] = UInt8(truncatingIfNeeded: w >> 16)
            out[4 * i + 2] = UInt8(truncatingIfNeeded: w >> 8)
            out[4 * i + 3] = UInt8(truncatingIfNeeded: w)
        }
        return out
    }

    /// The digest as 64 lowercase hexadecimal characters.
    public func hexDigest() -> String {
        SHA256.hexString(finalize())
    }

    /// Lowercase hexadecimal spelling of `bytes`.
    public static func hexString(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var chars = [UInt8]()
        chars.reserveCapacity(bytes.count * 2)
        for b in bytes {
            chars.append(digits[Int(b >> 4)])
            chars.append(digits[Int(b & 15)])
        }
        return String(decoding: chars, as: UTF8.self)
    }

    /// The digest of a byte sequence (`Data`, `[UInt8]`, `String.UTF8View`, …).
    public static func digest(of bytes: some Sequence<UInt8>) -> [UInt8] {
        var h = SHA256()
        h.update(bytes)
        return h.finalize()
    }

    /// The lowercase hex digest of a byte sequence (`Data`, `[UInt8]`, `String.UTF8View`, …).
    public static func hex(of bytes: some Sequence<UInt8>) -> String {
        hexString(digest(of: bytes))
    }

    /// The lowercase hex digest of the file at `path`, read in 4 MiB chunks.
    /// - Throws: `VoxSAMError(.notFound)` if the file cannot be opened, `.corruptFile` if reading fails.
    public static func hex(ofFile path: String) throws -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw VoxSAMError(.notFound, "cannot open the file to compute its SHA-256 (\(reason)); check the path", path: path)
        }
        defer { close(fd) }
        let chunk = 4 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 64)
        defer { buffer.deallocate() }
        var h = SHA256()
        while true {
            let n = read(fd, buffer, chunk)
            if n < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                throw VoxSAMError(.corruptFile, "reading the file failed (\(reason)); check the disk and the file", path: path)
            }
            if n == 0 { break }
            h.update(UnsafeRawBufferPointer(start: buffer, count: n))
        }
        return h.hexDigest()
    }

    // MARK: - Compression

    private static let roundConstants: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]

    @inline(__always)
    private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x &>> n) | (x &<< (32 &- n)) }

    /// One SHA-256 round with the working variables passed in rotated order, so that no
    /// variable shuffling is needed between rounds (`kw` = K[i] + W[i]).
    @inline(__always)
    private static func round(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32,
                              _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: inout UInt32, _ kw: UInt32) {
        let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
        let ch = g ^ (e & (f ^ g))
        let t1 = h &+ s1 &+ ch &+ kw
        let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
        let maj = (a & b) | (c & (a | b))
        d &+= t1
        h = t1 &+ s0 &+ maj
    }

    /// Processes `blocks` consecutive 64-byte blocks starting at `src` (no alignment required).
    private mutating func compress(_ src: UnsafeRawPointer, blocks: Int) {
        var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7
        SHA256.roundConstants.withUnsafeBufferPointer { kBuf in
            guard let k = kBuf.baseAddress else { return }
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { wBuf in
                guard let w = wBuf.baseAddress else { return }
                var p = src
                for _ in 0..<blocks {
                    for i in 0..<16 {
                        w[i] = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 4 &* i, as: UInt32.self))
                    }
                    for i in 16..<64 {
                        let x = w[i &- 15], y = w[i &- 2]
                        let s0 = SHA256.rotr(x, 7) ^ SHA256.rotr(x, 18) ^ (x &>> 3)
                        let s1 = SHA256.rotr(y, 17) ^ SHA256.rotr(y, 19) ^ (y &>> 10)
                        w[i] = w[i &- 16] &+ s0 &+ w[i &- 7] &+ s1
                    }
                    let a0 = a, b0 = b, c0 = c, d0 = d, e0 = e, f0 = f, g0 = g, hh0 = h
                    var i = 0
                    while i < 64 {
                        SHA256.round(a, b, c, &d, e, f, g, &h, k[i] &+ w[i])
                        SHA256.round(h, a, b, &c, d, e, f, &g, k[i &+ 1] &+ w[i &+ 1])
                        SHA256.round(g, h, a, &b, c, d, e, &f, k[i &+ 2] &+ w[i &+ 2])
                        SHA256.round(f, g, h, &a, b, c, d, &e, k[i &+ 3] &+ w[i &+ 3])
                        SHA256.round(e, f, g, &h, a, b, c, &d, k[i &+ 4] &+ w[i &+ 4])
                        SHA256.round(d, e, f, &g, h, a, b, &c, k[i &+ 5] &+ w[i &+ 5])
                        SHA256.round(c, d, e, &f, g, h, a, &b, k[i &+ 6] &+ w[i &+ 6])
                        SHA256.round(b, c, d, &e, f, g, h, &a, k[i &+ 7] &+ w[i &+ 7])
                        i &+= 8
                    }
                    a &+= a0; b &+= b0; c &+= c0; d &+= d0; e &+= e0; f &+= f0; g &+= g0; h &+= hh0
                    p += 64
                }
            }
        }
        h0 = a; h1 = b; h2 = c; h3 = d; h4 = e; h5 = f; h6 = g; h7 = h
    }
}
