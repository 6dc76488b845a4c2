import CNIfTI
import Foundation
import VoxSAMCore

/// The one place VoxSAM crosses into nifticlib (libnifti2: reads NIfTI-1, NIfTI-2 and Analyze pairs).
/// Everything here is plain Swift values; no nifticlib type leaves this file.
enum NIfTILibrary {
    /// The parts of a `nifti_image` VoxSAM uses, in NIfTI's own terms (RAS affines).
    struct Image {
        var dims: [Int]            // dim[1...7], length = ndim (at least 3 entries, padded with 1)
        var pixdim: [Double]       // pixdim[1...7]
        var datatype: Int32
        var bytesPerVoxel: Int
        var sclSlope: Double
        var sclInter: Double
        var qformCode: Int32
        var sformCode: Int32
        var qto: [[Double]]        // 4×4 RAS
        var sto: [[Double]]        // 4×4 RAS
        var niftiType: Int32       // 0 Analyze, 1 NIfTI-1 single, 2 NIfTI-1 pair, 4/5 NIfTI-2
        var descrip: String
        /// pixdim[1...3], quatern_b/c/d, qoffset_x/y/z, vox_offset, dim[0...7] as stored in the header
        /// (nifticlib replaces a zero or NaN pixdim with 1, repairs dims and offsets, and builds the
        /// qform from what it repaired).
        var stored: [Double]
        var storedPixdim: ArraySlice<Double> { stored[0..<3] }
        var storedVoxOffset: Double { stored[9] }
        /// dim[1...dim[0]] as stored (dim[0] clamped to 0...7).
        var storedDims: [Double] { let n = min(max(Int(stored.count > 10 ? stored[10] : 0), 0), 7); return Array(stored[11..<(11 + n)]) }
        /// Where the voxel data is: the file (`.nii`, `.nii.gz`, `.img`) and the offset in its
        /// (decompressed) bytes; whether values must be byte-swapped, in units of `swapSize`.
        var dataFile: String
        var dataOffset: Int
        var swapSize: Int
        var needsSwap: Bool
    }

    private static let quiet: Void = { nifti_set_debug_level(0) }()

    private static func matrix(_ m: nifti_dmat44) -> [[Double]] {
        withUnsafeBytes(of: m.m) { raw in
            let p = raw.bindMemory(to: Double.self)
            return (0..<4).map { r in (0..<4).map { c in p[r * 4 + c] } }
        }
    }

    /// Reads a header (never the data); nil when nifticlib cannot read it.
    static func readHeader(path: String) -> Image? {
        _ = quiet
        guard storedDim0IsValid(path) else { return nil }
        guard let nim = nifti_image_read(path, 0) else { return nil }
        defer { nifti_image_free(nim) }
        let n = nim.pointee
        let ndim = max(Int(n.ndim), 3)
        let dimAll = withUnsafeBytes(of: n.dim) { Array($0.bindMemory(to: Int64.self)) }
        let pixAll = withUnsafeBytes(of: n.pixdim) { Array($0.bindMemory(to: Double.self)) }
        let dims = (1...min(ndim, 7)).map { max(Int(dimAll[$0]), 1) }
        let stored = (1...min(max(Int(n.ndim), 1), 7)).map { Int(dimAll[$0]) }
        let pix = (1...7).map { pixAll[$0] }
        let descrip = withUnsafeBytes(of: n.descrip) { raw -> String in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
        let fallback = Array(pix.prefix(3)) + [0, 0, 0, 0, 0, 0, Double(n.iname_offset), Double(n.ndim)]
        let headerFile = n.fname.map { String(cString: $0) } ?? path
        return Image(dims: dims, pixdim: pix, datatype: Int32(n.datatype), bytesPerVoxel: Int(n.nbyper),
                     sclSlope: n.scl_slope, sclInter: n.scl_inter, qformCode: Int32(n.qform_code),
                     sformCode: Int32(n.sform_code), qto: matrix(n.qto_xyz), sto: matrix(n.sto_xyz),
                     niftiType: Int32(n.nifti_type), descrip: descrip,
                     stored: storedFields(headerFile, nifti2: n.nifti_type >= 4)
                        ?? fallback + stored.map(Double.init) + Array(repeating: 1, count: 7 - stored.count),
                     dataFile: n.iname.map { String(cString: $0) } ?? path, dataOffset: Int(n.iname_offset),
                     swapSize: Int(n.swapsize), needsSwap: n.byteorder != nifti_short_order())
    }

    /// nifticlib's NIfTI-2 conversion trusts dim[0]: above 7 it writes past the dim[8] of its header
    /// copy on the stack until the process dies (found by fuzzing: Fuzz/regressions/nifti). So dim[0]
    /// as stored must be 0...7 before nifticlib converts the header; unreadable headers are left to it.
    private static func storedDim0IsValid(_ path: String) -> Bool {
        let header = nifti_findhdrname(path).map { p -> String in defer { free(p) }; return String(cString: p) } ?? path
        return voxsam_nifti_dim0_valid(header) != 0
    }

    /// pixdim[1...3], quatern_b/c/d, qoffset_x/y/z straight from the header file, before nifticlib's repairs.
    private static func storedFields(_ headerFile: String, nifti2: Bool) -> [Double]? {
        var out = [Double](repeating: 0, count: Int(VOXSAM_NIFTI_STORED_COUNT))
        guard voxsam_nifti_stored_fields(headerFile, nifti2 ? 1 : 0, &out) == 0 else { return nil }
        return out
    }

    /// Swaps `count` values of `size` bytes in place (data stored in the other byte order).
    static func swap(_ buffer: inout [UInt8], size: Int) {
        guard size > 1 else { return }
        buffer.withUnsafeMutableBytes { nifti_swap_Nbytes(Int64($0.count / size), Int32(size), $0.baseAddress) }
    }

    /// Datatype codes (nifti1.h DT_*).
    enum DataType {
        static let uint8: Int32 = 2, int16: Int32 = 4, int32: Int32 = 8, float32: Int32 = 16
        static let complex64: Int32 = 32, float64: Int32 = 64, rgb24: Int32 = 128, int8: Int32 = 256
        static let uint16: Int32 = 512, uint32: Int32 = 768, int64: Int32 = 1024, uint64: Int32 = 1280
        static let float128: Int32 = 1536, complex128: Int32 = 1792, complex256: Int32 = 2048, rgba32: Int32 = 2304
    }

    static func datatypeName(_ code: Int32) -> String {
        String(cString: nifti_datatype_string(code))
    }

    /// The 348-byte NIfTI-1 header of a 3D image with both sform and qform set from `affineRAS`,
    /// built by nifticlib (`nifti_convert_nim2n1hdr`). `pair`: for a `.hdr`/`.img` pair (magic
    /// `ni1`, vox_offset 0); else single file (magic `n+1`, vox_offset 352). VoxSAM writes the
    /// bytes itself: `nifti_image_write` returns nothing and a short write only prints a message.
    static func header(size: SIMD3<Int>, spacing: SIMD3<Double>, affineRAS: [[Double]],
                       datatype: Int32, descrip: String, pair isPair: Bool) -> [UInt8]? {
        _ = quiet
        var dims: [Int64] = [3, Int64(size.x), Int64(size.y), Int64(size.z), 1, 1, 1, 1]
        guard let nim = dims.withUnsafeMutableBufferPointer({ nifti_make_new_nim($0.baseAddress, datatype, 0) }) else {
            return nil
        }
        defer { nifti_image_free(nim) }
        nim.pointee.nifti_type = isPair ? 2 : 1
        nim.pointee.iname_offset = isPair ? 0 : 352

        var m = nifti_dmat44()
        withUnsafeMutableBytes(of: &m.m) { raw in
            let p = raw.bindMemory(to: Double.self)
            for r in 0..<4 { for c in 0..<4 { p[r * 4 + c] = affineRAS[r][c] } }
        }
        nim.pointee.sto_xyz = m
        nim.pointee.sto_ijk = nifti_dmat44_inverse(m)
        nim.pointee.sform_code = 1  // NIFTI_XFORM_SCANNER_ANAT
        var qb = 0.0, qc = 0.0, qd = 0.0, qx = 0.0, qy = 0.0, qz = 0.0, dx = 0.0, dy = 0.0, dz = 0.0, qfac = 0.0
        nifti_dmat44_to_quatern(m, &qb, &qc, &qd, &qx, &qy, &qz, &dx, &dy, &dz, &qfac)
        nim.pointee.quatern_b = qb; nim.pointee.quatern_c = qc; nim.pointee.quatern_d = qd
        nim.pointee.qoffset_x = qx; nim.pointee.qoffset_y = qy; nim.pointee.qoffset_z = qz
        nim.pointee.qfac = qfac
        nim.pointee.qform_code = 1
        nim.pointee.qto_xyz = nifti_quatern_to_dmat44(qb, qc, qd, qx, qy, qz, spacing.x, spacing.y, spacing.z, qfac)
        nim.pointee.qto_ijk = nifti_dmat44_inverse(nim.pointee.qto_xyz)
        nim.pointee.dx = spacing.x; nim.pointee.dy = spacing.y; nim.pointee.dz = spacing.z
        withUnsafeMutableBytes(of: &nim.pointee.pixdim) { raw in
            let p = raw.bindMemory(to: Double.self)
            p[0] = qfac; p[1] = spacing.x; p[2] = spacing.y; p[3] = spacing.z
        }
        nim.pointee.xyz_units = 2  // NIFTI_UNITS_MM
        nim.pointee.scl_slope = 1
        nim.pointee.scl_inter = 0
        withUnsafeMutableBytes(of: &nim.pointee.descrip) { raw in
            let b = Array(descrip.utf8.prefix(79))
            for (n, v) in b.enumerated() { raw[n] = v }
            raw[b.count] = 0
        }
        var hdr = nifti_1_header()
        guard nifti_convert_nim2n1hdr(nim, &hdr) == 0, hdr.sizeof_hdr == 348 else { return nil }
        return withUnsafeBytes(of: &hdr) { Array($0.prefix(348)) }
    }
}
