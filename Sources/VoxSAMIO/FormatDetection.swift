import Foundation
import VoxSAMCore

/// The volume formats VoxSAM reads and writes, chosen by extension (and for folders: DICOM).
public enum VolumeFormat: String, Sendable, CaseIterable {
    case nifti, nrrd, npz, dicom

}

enum FormatDetection {
    /// Throws `.notFound` when `path` does not exist or cannot be read, `.invalidArgument` when it
    /// is neither a regular file nor a folder (FIFO, device: reading it could block forever).
    static func checkReadable(_ path: String) throws {
        try ReadLimits.requireRegularFileOrFolder(path)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw VoxSAMError(.notFound, "no such file or folder", path: path)
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw VoxSAMError(.notFound, "the file is not readable (check its permissions)", path: path)
        }
    }

    /// Detects the format of an input: folders are DICOM; files by extension, then by magic bytes.
    static func detect(_ path: String) throws -> VolumeFormat {
        try checkReadable(path)
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue { return .dicom }
        let l = path.lowercased()
        if l.hasSuffix(".nii") || l.hasSuffix(".nii.gz") || l.hasSuffix(".hdr") || l.hasSuffix(".img") || l.hasSuffix(".hdr.gz") { return .nifti }
        if l.hasSuffix(".nrrd") || l.hasSuffix(".nhdr") { return .nrrd }
        if l.hasSuffix(".npz") { return .npz }
        if l.hasSuffix(".dcm") || l.hasSuffix(".dicom") || l.hasSuffix("dicomdir") { return .dicom }
        // No known extension: look at the content.
        guard let fh = FileHandle(forReadingAtPath: path) else {
            throw VoxSAMError(.notFound, "the file cannot be opened", path: path)
        }
        defer { try? fh.close() }
        let head = (try? fh.read(upToCount: 352)) ?? Data()
        if head.count >= 132, head[128..<132].elementsEqual("DICM".utf8) { return .dicom }
        if head.starts(with: Array("NRRD".utf8)) { return .nrrd }
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return .npz }
        if head.count >= 348 {
            let magic = head[344..<348]
            if magic.elementsEqual("n+1\0".utf8) || magic.elementsEqual("ni1\0".utf8) { return .nifti }
        }
        if head.count >= 8, head[4..<8].elementsEqual("n+2\0".utf8) { return .nifti }
        // DICOM files without preamble (old ACR-NEMA style) are left to DCMTK.
        if head.count >= 4, head[0] == 0x08, head[1] == 0x00 { return .dicom }
        throw VoxSAMError(.unsupportedFormat, "unrecognised file: expected a DICOM file or folder, NIfTI (.nii, .nii.gz, .hdr/.img), NRRD (.nrrd, .nhdr) or CVPR24 .npz", path: path)
    }
}
