import Foundation
import VoxSAMCore

/// Writes a `Volume` as NIfTI (`.nii`, `.nii.gz`, or a `.hdr`/`.img` pair) through nifticlib.
///
/// Both sform and qform are set (code 1, scanner anatomical) from the volume's LPS geometry,
/// converted to RAS here. The file is NIfTI-1 (what every tool reads; nifticlib's writer does not
/// produce NIfTI-2), so the affine is stored as float32 (~1e-5 mm on typical coordinates) and
/// each axis holds at most 32767 voxels.
/// VoxSAM writes the bytes itself (every write checked) to temporary names and renames them when
/// complete; a `.hdr`/`.img` pair commits as one group.
public enum NIfTIWriter {
    public static func write(_ volume: Volume, to path: String, description: String = "VoxSAM") throws {
        let lower = path.lowercased()
        guard OutputFormat.implied(by: path) == .nifti else {
            throw VoxSAMError(.unsupportedFormat, "a NIfTI output must end in \(OutputFormat.nifti.extensions.joined(separator: ", "))", path: path)
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
        guard let header = NIfTILibrary.header(size: size, spacing: volume.geometry.spacing, affineRAS: volume.geometry.affineRAS,
                                               datatype: dt, descrip: description, pair: isPair) else {
            throw VoxSAMError(.internal, "nifticlib could not build the NIfTI-1 header", path: path)
        }
        let extender: [UInt8] = [0, 0, 0, 0]  // no extensions
        // Both files of a pair, or the one file, commit together (and fail together).
        try OutputGroup.commit { _ in
            if isPair {
                let imgPath = String(path.dropLast(4)) + (path.hasSuffix(".HDR") ? ".IMG" : ".img")
                try AtomicWrite.write(Data(header + extender), to: path)
                try AtomicWrite.write(to: imgPath) { tmp in
                    try volume.voxels.withUnsafeBytes { try FileOutput.write($0, to: tmp, destination: imgPath) }
                }
                return
            }
            try AtomicWrite.write(to: path) { tmp in
                try volume.voxels.withUnsafeBytes { raw in
                    if lower.hasSuffix(".gz") {
                        var whole = Data(header + extender)
                        whole.append(contentsOf: raw)
                        let packed = try whole.withUnsafeBytes { try Gzip.compress($0) }
                        try FileOutput.write(packed, to: tmp, destination: path)
                    } else {
                        try (header + extender).withUnsafeBytes { h in
                            try FileOutput.write(parts: [h, raw], to: tmp, destination: path)
                        }
                    }
                }
            }
        }
    }
}
