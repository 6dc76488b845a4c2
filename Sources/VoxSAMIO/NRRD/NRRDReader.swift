import Foundation
import VoxSAMCore

/// Reads NRRD (`.nrrd` attached, `.nhdr` detached) volumes: raw and gzip encodings, any byte order,
/// `space` (LPS, RAS, LAS and their long names) with `space directions` and `space origin`;
/// without `space`, `spacings` give an axis-aligned grid at the origin.
/// 4D images with one non-spatial axis (`space directions` entry `none`, e.g. Slicer segmentation
/// layers) are reduced to their first component with a warning.
public enum NRRDReader {
    public static func read(path: String, options: VolumeReadOptions = VolumeReadOptions()) throws -> Volume {
        let (header, dataOffset) = try splitHeader(try head(path), path: path)
        return try volume(from: header, dataOffset: dataOffset, path: path, options: options)
    }

    /// Reads only the header (for `voxsam info` and Slicer segment metadata).
    public static func readHeader(path: String) throws -> NRRDHeader {
        try splitHeader(try head(path), path: path).0
    }

    /// The header must end within the first MiB of the file.
    static let maxHeaderBytes = 1 << 20

    private static func head(_ path: String) throws -> Data {
        try FormatDetection.checkReadable(path)
        guard let fh = FileHandle(forReadingAtPath: path) else { throw VoxSAMError(.notFound, "the file cannot be read", path: path) }
        defer { try? fh.close() }
        return (try? fh.read(upToCount: maxHeaderBytes)) ?? Data()
    }

    static func splitHeader(_ data: Data, path: String) throws -> (NRRDHeader, Int) {
        guard data.starts(with: Array("NRRD".utf8)) else {
            throw VoxSAMError(.corruptFile, "not a NRRD file (it does not start with NRRD000N)", path: path)
        }
        // The header ends at the first empty line.
        let bytes = [UInt8](data.prefix(1 << 20))
        var end: Int?
        var n = 0
        while n + 1 < bytes.count {
            if bytes[n] == 0x0A && bytes[n + 1] == 0x0A { end = n + 2; break }
            if n + 3 < bytes.count, bytes[n] == 0x0D, bytes[n + 1] == 0x0A, bytes[n + 2] == 0x0D, bytes[n + 3] == 0x0A { end = n + 4; break }
            n += 1
        }
        let headerEnd = end ?? data.count  // detached headers may end at EOF
        let text = String(decoding: bytes[0..<min(headerEnd, bytes.count)], as: UTF8.self)
        return (try NRRDHeader.parse(Substring(text).trimmingCharacters(in: .newlines)[...], path: path), headerEnd)
    }

    /// The stored element type as a short code: u8, i8, i16, u16, i32, f32, f64.
    static func sourceType(_ t: String, path: String) throws -> String {
        switch t.lowercased() {
        case "uchar", "unsigned char", "uint8", "uint8_t": return "u8"
        case "signed char", "int8", "int8_t": return "i8"
        case "short", "short int", "signed short", "signed short int", "int16", "int16_t": return "i16"
        case "ushort", "unsigned short", "unsigned short int", "uint16", "uint16_t": return "u16"
        case "int", "signed int", "int32", "int32_t": return "i32"
        case "float": return "f32"
        case "double": return "f64"
        default:
            throw VoxSAMError(.unsupportedData, "NRRD type `\(t)` is not supported; use uchar, short, ushort, int, float or double", path: path)
        }
    }

    static func volume(from header: NRRDHeader, dataOffset: Int, path: String, options: VolumeReadOptions) throws -> Volume {
        func require(_ k: String) throws -> String {
            guard let v = header.field(k) else { throw VoxSAMError(.corruptFile, "NRRD header has no `\(k)` field", path: path) }
            return v
        }
        var md = VolumeMetadata()
        md.sourcePath = path
        md.sourceFormat = "nrrd"
        let source = try sourceType(try require("type"), path: path)
        guard let dimension = Int(try require("dimension")), (2...4).contains(dimension) else {
            throw VoxSAMError(.unsupportedData, "NRRD dimension must be 2, 3 or 4", path: path)
        }
        let sizes = try require("sizes").split(separator: " ").map { s -> Int in
            guard let v = Int(s), v > 0 else { throw VoxSAMError(.corruptFile, "NRRD `sizes` has an invalid entry `\(s)`", path: path) }
            return v
        }
        guard sizes.count == dimension else {
            throw VoxSAMError(.corruptFile, "NRRD `sizes` lists \(sizes.count) values for dimension \(dimension)", path: path)
        }
        // Checked before anything else is read or allocated.
        let total = try ReadLimits.product(sizes, field: "sizes", path: path)
        try ReadLimits.checkVoxels(total, limit: options.maxVoxels, field: "sizes", path: path)
        let srcBytes: Int = ["u8": 1, "i8": 1, "i16": 2, "u16": 2, "i32": 4, "f32": 4, "f64": 8][source]!
        let byteCount = try ReadLimits.product([total, srcBytes], field: "sizes x type", path: path)

        // Space and axes.
        var toLPS = SIMD3<Double>(1, 1, 1)
        if let space = header.field("space")?.lowercased() {
            switch space {
            case "left-posterior-superior", "lps", "scanner-xyz", "3d-left-handed": toLPS = SIMD3(1, 1, 1)
            case "right-anterior-superior", "ras", "3d-right-handed": toLPS = SIMD3(-1, -1, 1)
            case "left-anterior-superior", "las": toLPS = SIMD3(1, -1, 1)
            default:
                throw VoxSAMError(.unsupportedData, "NRRD space `\(space)` is not a patient space (use LPS, RAS or LAS)", path: path)
            }
        }
        var directions: [[Double]?] = Array(repeating: nil, count: dimension)
        if let sd = header.field("space directions") {
            directions = try NRRDVector.parseList(sd, path: path, field: "space directions")
            guard directions.count == dimension else {
                throw VoxSAMError(.corruptFile, "NRRD `space directions` lists \(directions.count) entries for dimension \(dimension)", path: path)
            }
            for (n, d) in directions.enumerated() {
                guard let d else { continue }
                try NRRDVector.check(d, name: "space directions: vector \(n + 1)", nonZero: true, path: path)
            }
        } else if let sp = header.field("spacings") {
            let s = sp.split(separator: " ").map { Double($0) }
            for a in 0..<min(dimension, s.count) {
                if let v = s[a], v.isFinite {
                    guard v != 0 else { throw VoxSAMError(.geometry, "spacings: value \(a + 1) is zero", path: path) }
                    var d = [0.0, 0.0, 0.0]
                    if a < 3 { d[a] = v }
                    directions[a] = d
                }
            }
        }
        var spatial = (0..<dimension).filter { directions[$0] != nil }
        if spatial.isEmpty { spatial = Array(0..<min(dimension, 3)); for a in spatial { var d = [0.0, 0.0, 0.0]; d[a] = 1; directions[a] = d } }
        let nonSpatial = (0..<dimension).filter { !spatial.contains($0) }
        guard spatial.count <= 3, nonSpatial.count <= 1, (dimension == 2 || spatial.count == 3) else {
            throw VoxSAMError(.unsupportedData, "NRRD axes: expected 3 spatial axes (and at most one `none` axis), found \(spatial.count) spatial of \(dimension)", path: path)
        }
        if dimension == 4, let a = nonSpatial.first {
            md.warnings.append("NRRD has a non-spatial axis \(a) of size \(sizes[a]) (kinds: \(header.field("kinds") ?? "?")); using its first component")
        }

        var origin = SIMD3<Double>.zero
        if let o = header.field("space origin") {
            let v = try NRRDVector.parseList(o, path: path, field: "space origin")
            guard v.count == 1, let c = v[0], c.count == 3 else {
                throw VoxSAMError(.corruptFile, "NRRD `space origin` must be one 3-vector", path: path)
            }
            try NRRDVector.check(c, name: "space origin", nonZero: false, path: path)
            origin = SIMD3(c[0], c[1], c[2]) * toLPS
        }
        var cols: [SIMD3<Double>] = spatial.map { a in
            let d = directions[a]!
            return SIMD3(d.count > 0 ? d[0] : 0, d.count > 1 ? d[1] : 0, d.count > 2 ? d[2] : 0) * toLPS
        }
        var size = spatial.map { sizes[$0] }
        // A 2D image: the missing axes are the remaining unit vectors, one voxel each.
        let units: [SIMD3<Double>] = [SIMD3(1, 0, 0), SIMD3(0, 1, 0), SIMD3(0, 0, 1)]
        while cols.count < 3 { cols.append(units[cols.count]); size.append(1) }
        var affine = [[Double]](repeating: [0, 0, 0, 0], count: 4)
        for r in 0..<3 { for c in 0..<3 { affine[r][c] = cols[c][r] }; affine[r][3] = origin[r] }
        affine[3] = [0, 0, 0, 1]
        let geometry = Geometry(size: SIMD3(size[0], size[1], size[2]), affineLPS: affine)
        guard abs(geometry.stepMatrix.determinant) > 1e-12 else {
            throw VoxSAMError(.geometry, "space directions: the vectors are degenerate (zero or parallel)", path: path)
        }

        // Data: compared with what the file holds before the buffer is allocated.
        let encoding = (header.field("encoding") ?? "raw").lowercased()
        let endian = (header.field("endian") ?? "little").lowercased()
        var dataPath = path
        var describe = "NRRD data"
        var offset = dataOffset
        if let file = header.field("data file") ?? header.field("datafile") {
            dataPath = try dataFile(file, headerPath: path, allowAbsolute: options.allowAbsoluteDataFile)
            describe = "data file `\(file)`"
            offset = 0
        }
        var skip = 0
        if let text = header.field("byte skip") {
            guard let v = Int(text), v >= -1 else {
                throw VoxSAMError(.corruptFile, "byte skip: `\(text)` is not a byte count (-1 or more)", path: path)
            }
            skip = v
        }
        var payload: [UInt8]
        switch encoding {
        case "raw":
            if skip == -1 {
                // -1: the data are the last bytes of the file.
                offset = max(0, (ReadLimits.fileSize(dataPath) ?? 0) - byteCount)
            } else {
                offset = try ReadLimits.sum(offset, skip, field: "byte skip", path: path)
            }
            payload = try DeclaredData.read(file: dataPath, offset: offset, encoding: .raw, count: byteCount, describe: describe, path: path)
        case "gzip", "gz":
            guard skip >= 0 else { throw VoxSAMError(.unsupportedData, "byte skip: -1 is only allowed with raw encoding", path: path) }
            payload = try DeclaredData.read(file: dataPath, offset: offset, encoding: .gzip, skip: skip, count: byteCount,
                                            describe: describe, path: path)
        default:
            throw VoxSAMError(.unsupportedData, "NRRD encoding `\(encoding)` is not supported; re-save with raw or gzip encoding", path: path)
        }
        if endian == "big" && srcBytes > 1 {
            for v in stride(from: 0, to: total * srcBytes, by: srcBytes) { payload[v..<(v + srcBytes)].reverse() }
        }
        let count = geometry.voxelCount
        // Keep only the first component of the non-spatial axis.
        let componentStride: Int
        let componentCount: Int
        if let a = nonSpatial.first {
            componentStride = sizes[0..<a].reduce(1, *)
            componentCount = sizes[a]
        } else {
            componentStride = 1; componentCount = 1
        }
        func pick<T>(_: T.Type) -> [T] {
            payload.withUnsafeBytes { raw in
                let p = raw.bindMemory(to: T.self)
                if componentCount == 1 { return Array(p[0..<count]) }
                // Index n (spatial) → source index with component 0 inserted at the non-spatial axis.
                return (0..<count).map { n in
                    let lo = n % componentStride, hi = n / componentStride
                    return p[hi * componentStride * componentCount + lo]
                }
            }
        }
        let voxels: VoxelBuffer
        switch source {
        case "u8": voxels = .uint8(pick(UInt8.self))
        case "i8": voxels = .int16(pick(Int8.self).map { Int16($0) })
        case "i16": voxels = .int16(pick(Int16.self))
        case "u16": voxels = .uint16(pick(UInt16.self))
        case "i32": voxels = .int32(pick(Int32.self))
        case "f32": voxels = .float32(pick(Float.self))
        default: voxels = .float32(pick(Double.self).map { Float($0) })
        }
        return Volume(geometry: geometry, voxels: voxels, metadata: md)
    }

    /// The detached data file a header names: in the header's folder or below (symbolic links and
    /// `..` resolved), or an absolute path when `allowAbsolute`.
    static func dataFile(_ name: String, headerPath: String, allowAbsolute: Bool) throws -> String {
        if name.hasPrefix("LIST") || name.contains("%") {
            throw VoxSAMError(.unsupportedData, "data file: `\(name)` (several data files) is not supported; use one data file", path: headerPath)
        }
        if name.hasPrefix("/") {
            guard allowAbsolute else {
                throw VoxSAMError(.invalidArgument, "data file: `\(name)` is an absolute path; only files in the header's folder or below "
                    + "are read unless you pass --allow-absolute-data-file (VolumeReadOptions.allowAbsoluteDataFile)", path: headerPath)
            }
            guard FileManager.default.fileExists(atPath: name) else {
                throw VoxSAMError(.notFound, "data file: the NRRD data file `\(name)` named by the header does not exist", path: headerPath)
            }
            return name
        }
        let folder = URL(fileURLWithPath: headerPath).deletingLastPathComponent().path
        let joined = URL(fileURLWithPath: folder).appendingPathComponent(name).path
        guard let realFolder = realPath(folder), let target = realPath(joined) else {
            throw VoxSAMError(.notFound, "data file: the NRRD data file `\(name)` named by the header does not exist", path: headerPath)
        }
        let inside = realFolder == "/" ? target.hasPrefix("/") : target.hasPrefix(realFolder + "/")
        guard inside else {
            throw VoxSAMError(.invalidArgument, "data file: `\(name)` resolves to \(target), outside the header's folder \(realFolder); "
                + "detached data must be in the header's folder or below", path: headerPath)
        }
        return target
    }

    private static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }
}
