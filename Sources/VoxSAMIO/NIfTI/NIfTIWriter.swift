import Foundation
import VoxSAMCore

/// Writes a `Volume` as NIfTI (`.nii`, `.nii.gz`, or a `.hdr`/`.img` pair) through nifticlib.
///
/// Both sform and qform are set (code 1, scanner anatomical) from the volume's LPS geometry,
/// converted to RAS here. The file is NIfTI-1 (what every tool reads; nifticlib's writer does not
/// produce NIfTI-2), so the affine is stored as float32 (~1e-5 mm on typical coordinates) and
/// each axis holds at most 32767 voxels.
/// The file is written to a temporary name and renamed when complete.
public enum NIfTIWriter {
    public static func write(_ volume: Volume, to path: String, description: String = "VoxSAM") throws {
        let lower = path.lowercased()
        guard lower.hasSuffix(".nii") || lower.hasSuffix(".nii.gz") || lower.hasSuffix(".hdr") else {
            throw VoxSAMError(.unsupportedFormat, "a NIfTI output must end in .nii, .nii.gz or .hdr", path: path)
        }
        let size = volume.geometry.size
        guard max(size.x, size.y, size.z) <= 32767 else {
            throw VoxSAMError(.unsupportedData, "NIfTI-1 holds at most 32767 voxels per axis (size \(size.x)x\(size.y)x\(size.z)); write .nrrd instead", path: path)
        }
        let dt: Int32
        switch volume.type {
        case .uint8: dt = NIfTILibrary.DataType.uint8
        case .int16: dt = NIfTILibrary.DataType.int16
        case .uint16: dt = NIfTILibrary.DataType.uint16
        case .int32: dt = NIfTILibrary.DataType.int32
        case .float32: dt = NIfTILibrary.DataType.float32
        }
        let isPair = lower.hasSuffix(".hdr")
        if isPair {
            // A pair is two files; write both under temporary names and rename both.
            let imgPath = String(path.dropLast(4)) + (path.hasSuffix(".HDR") ? ".IMG" : ".img")
            try AtomicWrite.checkDestination(path)
            let tmp = AtomicWrite.temporaryPath(for: path)
            let tmpImg = String(tmp.dropLast(4)) + ".img"
            defer { unlink(tmp); unlink(tmpImg) }
            let ok = volume.voxels.withUnsafeBytes { raw in
                NIfTILibrary.write(path: tmp, size: size, spacing: volume.geometry.spacing,
                                   affineRAS: volume.geometry.affineRAS, datatype: dt, 
                                   descrip: description, bytes: raw)
            }
            guard ok, rename(tmpImg, imgPath) == 0, rename(tmp, path) == 0 else {
                throw VoxSAMError(.writeFailed, "nifticlib could not write the NIfTI pair", path: path)
            }
            return
        }
        try AtomicWrite.write(to: path) { tmp in
            let ok = volume.voxels.withUnsafeBytes { raw in
                NIfTILibrary.write(path: tmp, size: size, spacing: volume.geometry.spacing,
                                   affineRAS: volume.geometry.affineRAS, datatype: dt, 
                                   descrip: description, bytes: raw)
            }
            guard ok else { throw VoxSAMError(.writeFailed, "nifticlib could not write the file", path: path) }
        }
    }
}
