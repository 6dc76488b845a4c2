import Foundation
import VoxSAMCore

/// One NumPy `.npy` array: dtype descriptor, shape and raw little-endian C-order bytes.
public struct NPYArray: Sendable {
    public enum DType: String, Sendable {
        case uint8 = "u1", int8 = "i1", int16 = "i2", uint16 = "u2", int32 = "i4", uint32 = "u4"
        case int64 = "i8", uint64 = "u8", float32 = "f4", float64 = "f8", bool = "b1"

        var size: Int { Int(rawValue.dropFirst())! }
    }

    public var dtype: DType
    public var shape: [Int]
    /// Little-endian, C order.
    public var data: [UInt8]

    public var count: Int { shape.reduce(1, *) }

    public init(dtype: DType, shape: [Int], data: [UInt8]) {
        self.dtype = dtype
        self.shape = shape
        self.data = data
    }

    /// What a `.npy` header declares: dtype, shape, byte order and where the data starts.
    struct Header: Sendable {
        var dtype: DType
        var shape: [Int]
        var bigEndian: Bool
        /// Offset of the data in the file image.
        var dataStart: Int
        /// Declared data bytes (shape product × dtype size, overflow-checked).
        var dataCount: Int
    }

    /// Longest header accepted (numpy writes well under 1 kB).
    static let maxHeaderLength = 1 << 16

    /// Parses the header at the start of `bytes`; nil when more bytes are needed to finish it.
    /// Sizes are checked (overflow, `maxVoxels`) before any data is looked at.
    static func parseHeader(_ bytes: [UInt8], name: String, path: String, maxVoxels: Int) throws -> Header? {
        func fail(_ why: String) -> VoxSAMError {
            VoxSAMError(.corruptFile, "array `\(name)`: \(why)", path: path)
        }
        guard bytes.count >= 12 else { return nil }
        guard bytes[0] == 0x93, bytes[1...5].elementsEqual("NUMPY".utf8) else {
            throw fail("not a .npy array (bad magic)")
        }
        let major = bytes[6]
        let headerLength: Int, start: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            start = 10
        case 2, 3:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            start = 12
        default:
            throw fail("unsupported .npy format version \(major)")
        }
        guard headerLength <= maxHeaderLength else { throw fail("header length \(headerLength) is implausibly large") }
        guard start + headerLength <= bytes.count else { return nil }
        let header = String(decoding: bytes[start..<(start + headerLength)], as: UTF8.self)
        let dict = try NPYHeaderDict.parse(header, fail: fail)
        guard let descr = dict["descr"] else { throw fail("header has no 'descr'") }
        var d = Substring(descr)
        var bigEndian = false
        if let c = d.first, "<>|=".contains(c) { bigEndian = c == ">"; d = d.dropFirst() }
        guard let dt = DType(rawValue: String(d)) else {
            throw fail("dtype '\(descr)' is not supported (use uint8, int16, uint16, int32, int64, float32 or float64)")
        }
        if dict["fortran_order"] == "True" {
            throw fail("Fortran-ordered arrays are not supported; save with np.ascontiguousarray")
        }
        guard let shapeText = dict["shape"] else { throw fail("header has no 'shape'") }
        let shape = try shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
            .split(separator: ",").map { s -> Int in
                guard let v = Int(s.trimmingCharacters(in: .whitespaces)), v >= 0 else { throw fail("shape: bad entry in \(shapeText)") }
                return v
            }
        let count = try ReadLimits.product(shape, field: "array `\(name)`: shape", path: path)
        try ReadLimits.checkVoxels(count, limit: maxVoxels, field: "array `\(name)`: shape \(shapeText)", path: path)
        let n = try ReadLimits.product([count, dt.size], field: "array `\(name)`: shape x dtype", path: path)
        return Header(dtype: dt, shape: shape, bigEndian: bigEndian, dataStart: start + headerLength, dataCount: n)
    }

    /// Parses a `.npy` file image (format versions 1, 2 and 3).
    public init(npy bytes: [UInt8], name: String, path: String, maxVoxels: Int = ReadLimits.defaultMaxVoxels) throws {
        guard let h = try Self.parseHeader(bytes, name: name, path: path, maxVoxels: maxVoxels) else {
            throw VoxSAMError(.corruptFile, "array `\(name)`: truncated header", path: path)
        }
        let n = h.dataCount, body = h.dataStart
        guard bytes.count - body >= n else {
            throw VoxSAMError(.corruptFile, "array `\(name)`: data is truncated: \(bytes.count - body) bytes for shape \(h.shape) of \(h.dtype.rawValue)",
                              path: path)
        }
        var data = Array(bytes[body..<(body + n)])
        if h.bigEndian && h.dtype.size > 1 {
            for v in stride(from: 0, to: n, by: h.dtype.size) { data[v..<(v + h.dtype.size)].reverse() }
        }
        self.init(dtype: h.dtype, shape: h.shape, data: data)
    }

    /// The array as a `.npy` (version 1.0) file image.
    public var npyBytes: [UInt8] {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        let endian = dtype.size == 1 ? "|" : "<"
        var header = "{'descr': '\(endian)\(dtype.rawValue)', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        let len = header.utf8.count
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(len & 0xFF), UInt8(len >> 8)] + Array(header.utf8) + data
    }

    /// Values converted to Double (for small arrays: boxes, spacing).
    public var doubles: [Double] {
        data.withUnsafeBytes { raw -> [Double] in
            switch dtype {
            case .uint8, .bool: return raw.bindMemory(to: UInt8.self).map(Double.init)
            case .int8: return raw.bindMemory(to: Int8.self).map(Double.init)
            case .int16: return raw.bindMemory(to: Int16.self).map(Double.init)
            case .uint16: return raw.bindMemory(to: UInt16.self).map(Double.init)
            case .int32: return raw.bindMemory(to: Int32.self).map(Double.init)
            case .uint32: return raw.bindMemory(to: UInt32.self).map(Double.init)
            case .int64: return raw.bindMemory(to: Int64.self).map(Double.init)
            case .uint64: return raw.bindMemory(to: UInt64.self).map(Double.init)
            case .float32: return raw.bindMemory(to: Float.self).map(Double.init)
            case .float64: return Array(raw.bindMemory(to: Double.self))
            }
        }
    }
}

/// The Python-literal dict of a .npy header: `{'descr': '<i2', 'fortran_order': False, 'shape': (3, 4), }`.
enum NPYHeaderDict {
    static func parse(_ s: String, fail: (String) -> VoxSAMError) throws -> [String: String] {
        var out: [String: String] = [:]
        var chars = Substring(s.trimmingCharacters(in: .whitespacesAndNewlines))
        guard chars.first == "{", chars.last == "}" else { throw fail("header is not a dict") }
        chars = chars.dropFirst().dropLast()
        func skipSpace() { while let c = chars.first, c == " " || c == "," || c == "\n" { chars = chars.dropFirst() } }
        while true {
            skipSpace()
            guard let q = chars.first else { break }
            guard q == "'" || q == "\"" else { throw fail("header key is not a string") }
            chars = chars.dropFirst()
            guard let endKey = chars.firstIndex(of: q) else { throw fail("unterminated header key") }
            let key = String(chars[..<endKey])
            chars = chars[chars.index(after: endKey)...]
            skipSpace()
            guard chars.first == ":" else { throw fail("expected ':' after '\(key)'") }
            chars = chars.dropFirst()
            while chars.first == " " { chars = chars.dropFirst() }
            let value: Substring
            switch chars.first {
            case "'", "\"":
                let qq = chars.first!
                chars = chars.dropFirst()
                guard let e = chars.firstIndex(of: qq) else { throw fail("unterminated string for '\(key)'") }
                value = chars[..<e]
                chars = chars[chars.index(after: e)...]
            case "(":
                guard let e = chars.firstIndex(of: ")") else { throw fail("unterminated tuple for '\(key)'") }
                value = chars[...e]
                chars = chars[chars.index(after: e)...]
            default:
                let e = chars.firstIndex(where: { $0 == "," || $0 == " " }) ?? chars.endIndex
                value = chars[..<e]
                chars = chars[e...]
            }
            out[key] = String(value)
        }
        return out
    }
}
