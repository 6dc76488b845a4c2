#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// One private folder per process; each file name is rewritten in place for every input.
enum TempFiles {
    nonisolated(unsafe) static var folder = ""

    static func setUp() {
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        var template = Array("\(base)/voxsam-fuzz.XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            eprint("voxsam-fuzz: cannot create a temporary folder in \(base)\n")
            exit(2)
        }
        folder = String(cString: template)
        atexit {
            // Every file this process made lives in `folder` (flat).
            if let names = try? FileManager.default.contentsOfDirectory(atPath: TempFiles.folder) {
                for n in names { unlink(TempFiles.folder + "/" + n) }
            }
            rmdir(TempFiles.folder)
        }
    }

    /// Writes `bytes` to `<folder>/<name>` (truncating) and returns the path.
    static func write(_ bytes: UnsafeRawBufferPointer, name: String) -> String {
        let path = folder + "/" + name
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { eprint("voxsam-fuzz: cannot write \(path)\n"); exit(2) }
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            guard n > 0 else { eprint("voxsam-fuzz: short write to \(path)\n"); exit(2) }
            done += n
        }
        close(fd)
        return path
    }
}

/// A well-formed stored (method 0) zip shaped like `torch.save` output, around fuzzed pickle bytes,
/// so that mutations reach the unpickler instead of dying in the zip directory.
enum CheckpointZip {
    static func make(pickle: UnsafeRawBufferPointer) -> [UInt8] {
        var storage0 = [UInt8](repeating: 0, count: 64)
        for i in 0..<16 { withUnsafeBytes(of: Float(i).bitPattern.littleEndian) { storage0.replaceSubrange(4 * i..<4 * i + 4, with: $0) } }
        let members: [(String, [UInt8])] = [
            ("archive/data.pkl", Array(pickle)),
            ("archive/byteorder", Array("little".utf8)),
            ("archive/data/0", storage0),
            ("archive/data/1", [UInt8](repeating: 0x3F, count: 24)),
            ("archive/version", Array("3\n".utf8)),
        ]
        var out: [UInt8] = [], central: [UInt8] = []
        for (name, body) in members {
            let offset = UInt32(out.count), crc = crc32(body), n = Array(name.utf8)
            out += le32(0x0403_4B50) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0) + le32(crc)
            out += le32(UInt32(body.count)) + le32(UInt32(body.count)) + le16(UInt16(n.count)) + le16(0) + n + body
            central += le32(0x0201_4B50) + le16(20) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0) + le32(crc)
            central += le32(UInt32(body.count)) + le32(UInt32(body.count)) + le16(UInt16(n.count)) + le16(0) + le16(0)
            central += le16(0) + le16(0) + le32(0) + le32(offset) + n
        }
        let cdOffset = UInt32(out.count)
        out += central
        out += le32(0x0605_4B50) + le16(0) + le16(0) + le16(UInt16(members.count)) + le16(UInt16(members.count))
        out += le32(UInt32(central.count)) + le32(cdOffset) + le16(0)
        return out
    }

    static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = (c >> 1) ^ (0xEDB8_8320 & (0 &- (c & 1))) }
        }
        return ~c
    }
}

/// Writes `text` to standard error (fd 2; `stderr` is not concurrency-safe in Swift 6).
func eprint(_ text: String) {
    var t = text
    t.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
}
