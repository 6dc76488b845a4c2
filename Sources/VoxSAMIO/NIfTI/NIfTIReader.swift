import Foundation
import VoxSAMCore

/// Reads NIfTI-1, NIfTI-2 (`.nii`, `.nii.gz`) and NIfTI/Analyze pairs (`.hdr`/`.img`) into a `Volume`.
///
/// Geometry: sform when `sform_code > 0`, else qform when `qform_code > 0`, else the pixdim-only
/// affine nibabel uses (x flipped, centred: `diag(-dx, dy, dz)`, origin at the array centre).
/// NIfTI affines are RAS; they are converted to LPS here, at the boundary, and nowhere else.
/// `scl_slope`/`scl_inter` are applied (result float32 unless the identity). Datatypes uint8, int8,
/// int16, uint16, int32, float32 and float64 are read (int8 widens to int16, float64 narrows to
/// float32); RGB, complex, 64-bit integers are refused.
public enum NIfTIReader {
    public struct Options: Sendable {
        /// For 4D+ images: which volume (0-based). nil = the first, with a warning.
        public var volumeIndex: Int?
        /// Largest volume (voxels) read; checked from the header before reading. CLI: `--max-voxels`.
        public var maxVoxels: Int
        public init(volumeIndex: Int? = nil, maxVoxels: Int = ReadLimits.defaultMaxVoxels) {
            self.volumeIndex = volumeIndex
            self.maxVoxels = maxVoxels
        }
    }

    public static func read(path: String, options: Options = Options()) throws -> Volume {
        try FormatDetection.checkReadable(path)
        // Header first, so that a broken header and broken voxel data get different messages.
        guard let image = NIfTILibrary.readHeader(path: path) else {
            throw VoxSAMError(.corruptFile, "not a readable NIfTI/Analyze header (corrupt, truncated or not NIfTI)", path: path)
        }
        try checkDatatype(image, path: path)
        try checkHeader(image, path: path)
        var metadata = VolumeMetadata()
        metadata.sourcePath = path
        metadata.sourceFormat = "nifti"
        if !image.descrip.isEmpty { metadata.seriesDescription = image.descrip }

        let size = SIMD3(image.dims[0], image.dims[1], image.dims[2])
        let perVolume = try ReadLimits.product(Array(image.dims.prefix(3)), field: "dim[1...3]", path: path)
        let volumes = try ReadLimits.product(Array(image.dims.dropFirst(3)), field: "dim[4...]", path: path)
        _ = try ReadLimits.product([perVolume, volumes, image.bytesPerVoxel], field: "dim x bitpix", path: path)
        try ReadLimits.checkVoxels(perVolume, limit: options.maxVoxels, field: "dim[1...3]", path: path)
        var index = 0
        if volumes > 1 {
            if let v = options.volumeIndex {
                guard v >= 0 && v < volumes else {
                    throw VoxSAMError(.invalidArgument, "volume index \(v) is out of range: the file holds \(volumes) volumes (0...\(volumes - 1))", path: path)
                }
                index = v
            } else {
                metadata.warnings.append("the image is \(image.dims.count)D with \(volumes) volumes (dim[4...] = \(image.dims.dropFirst(3).map(String.init).joined(separator: "x"))); using the first volume (choose another with --volume)")
            }
        } else if let v = options.volumeIndex, v != 0 {
            throw VoxSAMError(.invalidArgument, "volume index \(v) is out of range: the file holds 1 volume", path: path)
        }

        let geometry = try Self.geometry(image, size: size, path: path, warnings: &metadata.warnings)
        // Only the chosen volume is read; its bytes are compared with the file before allocating.
        let volumeBytes = perVolume * image.bytesPerVoxel
        let start = try ReadLimits.sum(image.dataOffset, index * volumeBytes, field: "vox_offset", path: path)
        let describe = image.dataFile == path ? "voxel data" : "voxel data in \((image.dataFile as NSString).lastPathComponent)"
        var bytes: [UInt8]
        if DeclaredData.isGzip(image.dataFile) {
            bytes = try DeclaredData.read(file: image.dataFile, offset: 0, encoding: .gzip, skip: start, count: volumeBytes,
                                          verifyEnd: index == volumes - 1, describe: describe, path: path)
        } else {
            bytes = try DeclaredData.read(file: image.dataFile, offset: start, encoding: .raw, count: volumeBytes,
                                          describe: describe, path: path)
        }
        if image.needsSwap { NIfTILibrary.swap(&bytes, size: image.swapSize) }
        let voxels = try bytes.withUnsafeBytes { try convert($0, image: image, path: path) }
        return Volume(geometry: geometry, voxels: voxels, metadata: metadata)
    }

    /// Dimensions and voxel sizes nifticlib accepts but VoxSAM refuses: a non-positive dim, a
    /// zero, NaN or infinite pixdim[1...3].
    static func checkHeader(_ image: NIfTILibrary.Image, path: String) throws {
        for (n, d) in image.storedDims.enumerated() where d < 1 {
            throw VoxSAMError(.corruptFile, "dim[\(n + 1)] = \(Int(d)) is not a positive size", path: path)
        }
        // A single file (.nii) has its data after the header; nifticlib silently moves a bad offset there.
        let single = image.niftiType == 1 || image.niftiType == 4
        let headerSize = image.niftiType >= 4 ? 544.0 : 352.0
        let offset = image.storedVoxOffset
        guard offset.isFinite, offset >= 0, offset < Double(Int.max / 2), !single || offset >= headerSize else {
            throw VoxSAMError(.corruptFile, "vox_offset = \(offset) is not a valid data offset\(single ? " (at least \(Int(headerSize)) in a .nii file)" : "")",
                              path: path)
        }
        for (n, p) in image.storedPixdim.enumerated() where n < max(image.storedDims.count, 2) {
            guard p.isFinite else { throw VoxSAMError(.geometry, "pixdim[\(n + 1)] is not finite (\(p))", path: path) }
            guard p != 0 || image.sformCode > 0 else { throw VoxSAMError(.geometry, "pixdim[\(n + 1)] is zero", path: path) }
        }
        if image.qformCode > 0 {
            let names = ["quatern_b", "quatern_c", "quatern_d", "qoffset_x", "qoffset_y", "qoffset_z"]
            for (name, v) in zip(names, image.stored[3..<9]) where !v.isFinite {
                throw VoxSAMError(.geometry, "qform: \(name) is NaN or infinite (\(v))", path: path)
            }
        }
    }

    static func checkDatatype(_ image: NIfTILibrary.Image, path: String) throws {
        typealias DT = NIfTILibrary.DataType
        switch image.datatype {
        case DT.uint8, DT.int8, DT.int16, DT.uint16, DT.int32, DT.float32, DT.float64: return
        case DT.rgb24, DT.rgba32:
            throw VoxSAMError(.unsupportedData, "RGB NIfTI images (datatype \(NIfTILibrary.datatypeName(image.datatype))) are not medical intensity volumes; convert to a single-channel (greyscale) image first", path: path)
        case DT.complex64, DT.complex128, DT.complex256:
            throw VoxSAMError(.unsupportedData, "complex-valued NIfTI images (datatype \(NIfTILibrary.datatypeName(image.datatype))) are not supported; save the magnitude image instead", path: path)
        default:
            throw VoxSAMError(.unsupportedData, "NIfTI datatype \(NIfTILibrary.datatypeName(image.datatype)) (code \(image.datatype)) is not supported; use uint8, int16, uint16, int32, float32 or float64", path: path)
        }
    }

    /// Index → LPS geometry from sform, qform or pixdim (in that order).
    static func geometry(_ image: NIfTILibrary.Image, size: SIMD3<Int>, path: String,
                         warnings: inout [String]) throws -> Geometry {
        var ras: [[Double]]
        if image.sformCode > 0 {
            ras = image.sto
        } else if image.qformCode > 0 {
            ras = image.qto
        } else {
            // nibabel's fallback (Analyze / no transform): x flipped, centred on the array.
            let d = (0..<3).map { abs(image.pixdim[$0]) > 0 ? abs(image.pixdim[$0]) : 1 }
            let s = [Double(size.x), Double(size.y), Double(size.z)]
            ras = [[-d[0], 0, 0, (s[0] - 1) / 2 * d[0]],
                   [0, d[1], 0, -(s[1] - 1) / 2 * d[1]],
                   [0, 0, d[2], -(s[2] - 1) / 2 * d[2]],
                   [0, 0, 0, 1]]
            warnings.append("no sform or qform (sform_code = qform_code = 0): geometry from pixdim only, centred as nibabel does; patient position and orientation are unknown")
        }
        guard ras.prefix(3).allSatisfy({ $0.allSatisfy(\.isFinite) }) else {
            throw VoxSAMError(.geometry, "\(transformName(image)): the affine contains NaN or infinite values", path: path)
        }
        var lps = ras
        for c in 0..<4 { lps[0][c] = -lps[0][c]; lps[1][c] = -lps[1][c] }
        let g = Geometry(size: size, affineLPS: lps)
        guard abs(Matrix3(rows: ras.prefix(3).map { Array($0.prefix(3)) }).determinant) > 1e-12, abs(g.stepMatrix.determinant) > 1e-12 else {
            throw VoxSAMError(.geometry, "\(transformName(image)): the affine is singular (a zero-length or repeated axis)", path: path)
        }
        if !g.isOrthonormal(tolerance: 1e-4) {
            warnings.append("the \(image.sformCode > 0 ? "sform" : "qform") affine is sheared (non-orthogonal axes, e.g. gantry tilt); the shear is kept in the direction matrix")
        }
        return g
    }

    /// The header fields the geometry came from.
    static func transformName(_ image: NIfTILibrary.Image) -> String {
        image.sformCode > 0 ? "sform (srow_x/y/z)" : image.qformCode > 0 ? "qform (quatern_b/c/d, qoffset, pixdim)" : "pixdim"
    }

    static func convert(_ raw: UnsafeRawBufferPointer, image: NIfTILibrary.Image, path: String) throws -> VoxelBuffer {
        typealias DT = NIfTILibrary.DataType
        // scl_slope = 0 means "no scaling" (NIfTI-1 standard); identity scaling keeps the native type.
        let scaled = image.sclSlope != 0 && image.sclSlope.isFinite && image.sclInter.isFinite
            && (image.sclSlope != 1 || image.sclInter != 0)
        let slope = scaled ? image.sclSlope : 1, inter = scaled ? image.sclInter : 0
        let n = raw.count / image.bytesPerVoxel
        func values<T>(_: T.Type) -> UnsafeBufferPointer<T> { raw.bindMemory(to: T.self) }
        func scaledFloat<T>(_ src: UnsafeBufferPointer<T>, _ f: (T) -> Double) -> VoxelBuffer {
            .float32([Float](unsafeUninitializedCapacity: n) { out, count in
                for k in 0..<n { out[k] = Float(f(src[k]) * slope + inter) }
                count = n
            })
        }
        switch image.datatype {
        case DT.uint8:
            let v = values(UInt8.self)
            return scaled ? scaledFloat(v) { Double($0) } : .uint8(Array(v))
        case DT.int8:
            let v = values(Int8.self)
            return scaled ? scaledFloat(v) { Double($0) } : .int16(v.map { Int16($0) })
        case DT.int16:
            let v = values(Int16.self)
            return scaled ? scaledFloat(v) { Double($0) } : .int16(Array(v))
        case DT.uint16:
            let v = values(UInt16.self)
            return scaled ? scaledFloat(v) { Double($0) } : .uint16(Array(v))
        case DT.int32:
            let v = values(Int32.self)
            return scaled ? scaledFloat(v) { Double($0) } : .int32(Array(v))
        case DT.float32:
            let v = values(Float.self)
            return scaled ? scaledFloat(v) { Double($0) } : .float32(Array(v))
        case DT.float64:
            let v = values(Double.self)
            return scaledFloat(v) { $0 }
        default:
            throw VoxSAMError(.unsupportedData, "NIfTI datatype code \(image.datatype) is not supported", path: path)
        }
    }
}
