#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where one tensor's values live in the memory-mapped checkpoint, and how to read them.
/// The bytes belong to a `MappedFile` that must outlive this value (the `StateDict` keeps both).
struct StoredTensor {
    let dtype: TensorDType
    let shape: [Int]
    /// Strides in elements.
    let strides: [Int]
    /// Offset of the first element in the storage, in elements.
    let offset: Int
    /// The whole storage blob, in place in the mapping.
    let blob: UnsafeRawBufferPointer
    /// Whether the archive says its storages are big-endian (`byteorder` member).
    let bigEndian: Bool

    var info: TensorInfo { TensorInfo(shape: shape, dtype: dtype) }

    var count: Int { shape.reduce(1, *) }

    /// Whether the elements are laid out contiguously in C order (sizes of 1 may have any stride).
    var isContiguous: Bool {
        var expected = 1
        for d in stride(from: shape.count - 1, through: 0, by: -1) where shape[d] != 1 {
            if strides[d] != expected { return false }
            expected *= shape[d]
        }
        return true
    }

    /// A pointer to the values in place, if they can be used as-is (float32, little-endian,
    /// contiguous, 4-byte aligned); nil otherwise.
    var inPlaceFloats: UnsafeBufferPointer<Float>? {
        guard dtype == .float32, !bigEndian, isContiguous, let base = blob.baseAddress else { return nil }
        let start = base + offset * 4
        guard Int(bitPattern: start) % MemoryLayout<Float>.alignment == 0 else { return nil }
        return UnsafeBufferPointer(start: start.assumingMemoryBound(to: Float.self), count: count)
    }

    /// The values as float32 in C order (one memcpy for contiguous float32 tensors; otherwise a
    /// strided gather with conversion from float64/float16/bfloat16 and byte swapping if needed).
    func floats() -> [Float] {
        let n = count
        guard n > 0, let base = blob.baseAddress else { return [] }
        if dtype == .float32, !bigEndian, isContiguous {
            return [Float](unsafeUninitializedCapacity: n) { buf, initialized in
                if let dst = buf.baseAddress { memcpy(dst, base + offset * 4, n * 4) }
                initialized = n
            }
        }
        let item = dtype.itemSize
        let rank = shape.count
        return [Float](unsafeUninitializedCapacity: n) { buf, initialized in
            guard let dst = buf.baseAddress else { return }
            guard rank > 0 else {
                dst[0] = load(base + offset * item)
                initialized = 1
                return
            }
            let inner = shape[rank - 1], innerStep = strides[rank - 1] * item
            var index = [Int](repeating: 0, count: rank - 1)
            var rowStart = offset
            var out = 0
            for _ in 0..<(n / inner) {
                var src = base + rowStart * item
                for j in 0..<inner {
                    dst[out + j] = load(src)
                    src += innerStep
                }
                out += inner
                var d = rank - 2
                while d >= 0 {
                    index[d] += 1
                    rowStart += strides[d]
                    if index[d] < shape[d] { break }
                    rowStart -= strides[d] * shape[d]
                    index[d] = 0
                    d -= 1
                }
            }
            initialized = n
        }
    }

    /// One element at `p`, converted to Float.
    @inline(__always)
    private func load(_ p: UnsafeRawPointer) -> Float {
        switch dtype {
        case .float32:
            let bits = p.loadUnaligned(as: UInt32.self)
            return Float(bitPattern: bigEndian ? bits.byteSwapped : bits)
        case .float64:
            let bits = p.loadUnaligned(as: UInt64.self)
            return Float(Double(bitPattern: bigEndian ? bits.byteSwapped : bits))
        case .float16:
            let bits = p.loadUnaligned(as: UInt16.self)
            return StoredTensor.halfToFloat(bigEndian ? bits.byteSwapped : bits)
        case .bfloat16:
            let bits = p.loadUnaligned(as: UInt16.self)
            return Float(bitPattern: UInt32(bigEndian ? bits.byteSwapped : bits) << 16)
        case .int64:
            let bits = p.loadUnaligned(as: UInt64.self)
            return Float(Int64(bitPattern: bigEndian ? bits.byteSwapped : bits))
        case .int32:
            let bits = p.loadUnaligned(as: UInt32.self)
            return Float(Int32(bitPattern: bigEndian ? bits.byteSwapped : bits))
        case .int16:
            let bits = p.loadUnaligned(as: UInt16.self)
            return Float(Int16(bitPattern: bigEndian ? bits.byteSwapped : bits))
        case .int8:
            return Float(p.load(as: Int8.self))
        case .uint8, .bool:
            return Float(p.load(as: UInt8.self))
        }
    }

    /// IEEE 754 binary16 → binary32 (exact).
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1F
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            let magnitude = Float(mantissa) * 0x1p-24  // zero or subnormal
            return sign != 0 ? -magnitude : magnitude
        }
        if exponent == 0x1F {
            return Float(bitPattern: sign | 0x7F80_0000 | mantissa << 13)  // inf / nan
        }
        return Float(bitPattern: sign | (exponent + 112) << 23 | mantissa << 13)
    }
}
