import VoxSAMCore

/// A label map as 16-bit label values with per-slice access to binary masks (the exporters' view).
struct LabelSlices {
    let width: Int, height: Int, depth: Int
    private let values: [UInt16]

    init(_ labelMap: Volume, path: String) throws {
        width = labelMap.size.x; height = labelMap.size.y; depth = labelMap.size.z
        // Straight to 16 bits (no Int intermediate: a 512×512×300 map stays ~160 MB, not 800 MB).
        var bad: Double?
        func convert<T>(_ a: [T], _ toDouble: (T) -> Double) -> [UInt16] {
            a.map { x in
                let d = toDouble(x)
                guard LabelValue.isVoxel(d) else { bad = d; return 0 }
                return UInt16(d)
            }
        }
        switch labelMap.voxels {
        case .uint8(let a): values = a.map(UInt16.init)
        case .uint16(let a): values = a
        case .int16(let a): values = convert(a) { Double($0) }
        case .int32(let a): values = convert(a) { Double($0) }
        case .float32(let a): values = convert(a) { Double($0) }
        }
        if let bad {
            throw LabelValue.voxelError(bad, path: path)
        }
    }

    /// Label values present (0 excluded), ascending.
    var presentLabels: [Int] {
        var seen = [Bool](repeating: false, count: 65536)
        values.withUnsafeBufferPointer { v in for x in v { seen[Int(x)] = true } }
        return (1..<65536).filter { seen[$0] }
    }

    /// Mask of `label` on slice k (1 inside, 0 outside), row-major (index j·width + i); nil when empty.
    func mask(label: Int, slice k: Int) -> [UInt8]? {
        let n = width * height, l = UInt16(label)
        var any = false
        let m = [UInt8](unsafeUninitializedCapacity: n) { out, initialized in
            values.withUnsafeBufferPointer { v in
                let base = k * n
                for p in 0..<n {
                    let inside: UInt8 = v[base + p] == l ? 1 : 0
                    out[p] = inside
                    if inside != 0 { any = true }
                }
            }
            initialized = n
        }
        return any ? m : nil
    }
}
