/// Element type of a voxel buffer, kept native: a 512×512×300 CT stays Int16 (150 MB), not Float.
public enum VoxelType: String, Sendable, Codable, CaseIterable {
    case uint8, int16, uint16, int32, float32

    public var byteCount: Int {
        switch self {
        case .uint8: 1
        case .int16, .uint16: 2
        case .int32, .float32: 4
        }
    }

    /// The smallest label type that holds `maxLabel`.
    public static func labelType(forMaxLabel maxLabel: Int) -> VoxelType {
        maxLabel <= 255 ? .uint8 : .uint16
    }
}

/// Voxels in their native type, i fastest, then j, then k (NIfTI / NumPy (D,H,W) C order).
public enum VoxelBuffer: Sendable, Equatable {
    case uint8([UInt8])
    case int16([Int16])
    case uint16([UInt16])
    case int32([Int32])
    case float32([Float])

    public var type: VoxelType {
        switch self {
        case .uint8: .uint8
        case .int16: .int16
        case .uint16: .uint16
        case .int32: .int32
        case .float32: .float32
        }
    }

    public var count: Int {
        switch self {
        case .uint8(let a): a.count
        case .int16(let a): a.count
        case .uint16(let a): a.count
        case .int32(let a): a.count
        case .float32(let a): a.count
        }
    }

    /// A zero-filled buffer.
    public static func zeros(_ type: VoxelType, count: Int) -> VoxelBuffer {
        switch type {
        case .uint8: .uint8(Array(repeating: 0, count: count))
        case .int16: .int16(Array(repeating: 0, count: count))
        case .uint16: .uint16(Array(repeating: 0, count: count))
        case .int32: .int32(Array(repeating: 0, count: count))
        case .float32: .float32(Array(repeating: 0, count: count))
        }
    }

    /// Value at linear index `n` as Double (for reports and windowing; not for hot loops).
    @inline(__always)
    public subscript(n: Int) -> Double {
        switch self {
        case .uint8(let a): Double(a[n])
        case .int16(let a): Double(a[n])
        case .uint16(let a): Double(a[n])
        case .int32(let a): Double(a[n])
        case .float32(let a): Double(a[n])
        }
    }

    /// Calls `body` with the values converted to Float, in one pass.
    public func withFloatValues<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        if case .float32(let a) = self { return try a.withUnsafeBufferPointer(body) }
        var out = [Float](repeating: 0, count: count)
        out.withUnsafeMutableBufferPointer { o in
            switch self {
            case .uint8(let a): for n in a.indices { o[n] = Float(a[n]) }
            case .int16(let a): for n in a.indices { o[n] = Float(a[n]) }
            case .uint16(let a): for n in a.indices { o[n] = Float(a[n]) }
            case .int32(let a): for n in a.indices { o[n] = Float(a[n]) }
            case .float32: break
            }
        }
        return try out.withUnsafeBufferPointer(body)
    }

    /// Values as Int label values (float voxels rounded), in one pass.
    public var labelValues: [Int] {
        switch self {
        case .uint8(let a): a.map(Int.init)
        case .uint16(let a): a.map(Int.init)
        case .int16(let a): a.map(Int.init)
        case .int32(let a): a.map(Int.init)
        case .float32(let a): a.map { Int($0.rounded()) }
        }
    }

    /// Minimum and maximum (NaN ignored for float); nil when empty.
    public var range: (min: Double, max: Double)? {
        func mm<T: Comparable & BinaryInteger>(_ a: [T]) -> (Double, Double)? {
            guard var lo = a.first else { return nil }
            var hi = lo
            for v in a { if v < lo { lo = v } else if v > hi { hi = v } }
            return (Double(lo), Double(hi))
        }
        switch self {
        case .uint8(let a): return mm(a)
        case .int16(let a): return mm(a)
        case .uint16(let a): return mm(a)
        case .int32(let a): return mm(a)
        case .float32(let a):
            var lo = Float.infinity, hi = -Float.infinity
            for v in a where !v.isNaN { lo = Swift.min(lo, v); hi = Swift.max(hi, v) }
            return lo > hi ? nil : (Double(lo), Double(hi))
        }
    }

    /// Raw little-endian bytes of the buffer (the machine is little-endian).
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch self {
        case .uint8(let a): try a.withUnsafeBytes(body)
        case .int16(let a): try a.withUnsafeBytes(body)
        case .uint16(let a): try a.withUnsafeBytes(body)
        case .int32(let a): try a.withUnsafeBytes(body)
        case .float32(let a): try a.withUnsafeBytes(body)
        }
    }

    /// Builds a buffer of `type` from raw native-endian bytes (count = bytes / size).
    public static func fromBytes(_ raw: UnsafeRawBufferPointer, type: VoxelType) -> VoxelBuffer {
        func make<T>(_: T.Type) -> [T] {
            let n = raw.count / MemoryLayout<T>.stride
            return [T](unsafeUninitializedCapacity: n) { buf, initialized in
                if n > 0 { UnsafeMutableRawBufferPointer(buf).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[0..<(n * MemoryLayout<T>.stride)])) }
                initialized = n
            }
        }
        switch type {
        case .uint8: return .uint8(make(UInt8.self))
        case .int16: return .int16(make(Int16.self))
        case .uint16: return .uint16(make(UInt16.self))
        case .int32: return .int32(make(Int32.self))
        case .float32: return .float32(make(Float.self))
        }
    }
}

/// Where one k-slice of a volume came from (for DICOM SEG / RTSTRUCT export).
public struct SliceReference: Sendable, Codable, Equatable {
    public var sopInstanceUID: String
    public var sopClassUID: String
    public var file: String
    /// Frame number (1-based) inside a multi-frame file, nil for single-frame files.
    public var frame: Int?

    public init(sopInstanceUID: String, sopClassUID: String, file: String, frame: Int? = nil) {
        self.sopInstanceUID = sopInstanceUID
        self.sopClassUID = sopClassUID
        self.file = file
        self.frame = frame
    }
}

/// What is known about where a volume came from.
public struct VolumeMetadata: Sendable, Codable, Equatable {
    /// "CT", "MR", … (DICOM Modality), nil when unknown (NIfTI/NRRD).
    public var modality: String?
    public var seriesInstanceUID: String?
    public var seriesDescription: String?
    public var studyInstanceUID: String?
    public var frameOfReferenceUID: String?
    public var patientID: String?
    public var patientName: String?
    /// DICOM WindowCenter / WindowWidth of the first slice, if present.
    public var windowCenter: Double?
    public var windowWidth: Double?
    /// One entry per k-slice (DICOM sources only).
    public var sliceReferences: [SliceReference] = []
    /// Source file or folder.
    public var sourcePath: String?
    /// Format read from ("nifti", "dicom", "nrrd", "npz").
    public var sourceFormat: String?
    /// Non-fatal problems found while reading (gaps, 4D reduced to 3D, …), each naming the tags involved.
    public var warnings: [String] = []
    /// Extra DICOM attributes kept for exporters (keyword → value), e.g. PatientBirthDate, StudyDate.
    public var dicomAttributes: [String: String] = [:]

    public init() {}
}

/// A 3D image: voxels in their native type on a geometry with LPS patient coordinates.
/// Label maps are volumes too (uint8 or uint16).
public struct Volume: Sendable {
    public var geometry: Geometry
    public var voxels: VoxelBuffer
    public var metadata: VolumeMetadata

    public init(geometry: Geometry, voxels: VoxelBuffer, metadata: VolumeMetadata = VolumeMetadata()) {
        precondition(geometry.voxelCount == voxels.count,
                     "voxel count \(voxels.count) does not match size \(geometry.size)")
        self.geometry = geometry
        self.voxels = voxels
        self.metadata = metadata
    }

    public var size: SIMD3<Int> { geometry.size }
    public var type: VoxelType { voxels.type }

    /// Linear index of voxel (i, j, k).
    @inline(__always)
    public func linearIndex(_ i: Int, _ j: Int, _ k: Int) -> Int {
        (k * geometry.size.y + j) * geometry.size.x + i
    }

    /// Value at (i, j, k) as Double.
    public func value(_ i: Int, _ j: Int, _ k: Int) -> Double { voxels[linearIndex(i, j, k)] }

    /// An empty label volume on the same grid.
    public func emptyLabelMap(maxLabel: Int = 255) -> Volume {
        var md = VolumeMetadata()
        md.sourcePath = metadata.sourcePath
        md.frameOfReferenceUID = metadata.frameOfReferenceUID
        return Volume(geometry: geometry,
                      voxels: .zeros(VoxelType.labelType(forMaxLabel: maxLabel), count: geometry.voxelCount),
                      metadata: md)
    }
}
