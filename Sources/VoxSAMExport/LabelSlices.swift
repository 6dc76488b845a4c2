import VoxSAMCore

/// A label map as 16-bit label values with per-slice access to binary masks (the exporters' view).
struct LabelSlices {
    let width: Int, height: Int, depth: Int
    private let values: [UInt16]

    init(_ labelMap: Volume, path: String) throws {
        width = labelMap.size.x; height = labelMap.size.y; depth = labelMap.size.z
        var bad: Int?
        let v: [UInt16] = labelMap.voxels.labelValues.map { x in
            if x < 0 || x > 65535 { bad = x; return 0 }
            return UInt16(x)
        }
        if let bad { throw VoxSAMError(.invalidArgument, "label value \(bad) is outside 0…65535; a label map holds non-negative integer labels", path: path) }
        values = v
    }

    /// Label values present (0 excluded), ascending.
    var presentLabels: [Int] { Set(values).subtracting([0]).map(Int.init).sorted() }

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
