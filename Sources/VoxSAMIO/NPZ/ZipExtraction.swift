import Foundation
import VoxSAMCore

/// Limits on a DICOM series that arrives from outside (a zip upload, a PACS retrieval): at most
/// this many files and this many bytes, so a hostile peer cannot fill the disk.
public enum ReceivedSeriesLimits {
    public static let maxFiles = 5000
    public static let maxBytes: Int64 = 4 << 30
}

/// Unpacks the files of a ZIP archive (a zipped DICOM series) with `ZipReader`'s checks, each into
/// a numbered file of `folder` (`00001.dcm`, …): member names are never used as paths, so a name
/// with `../` or `/` cannot place a file anywhere. Folders in the archive are flattened.
public enum ZipExtraction {
    /// The number of files written. More than `maxFiles` members or `maxBytes` unpacked bytes is
    /// an error (a zip bomb); so is an archive with no file.
    @discardableResult
    public static func extractFiles(of path: String, into folder: String, maxFiles: Int, maxBytes: Int64) throws -> Int {
        let zip = try ZipReader(path: path)
        defer { zip.close() }
        let files = zip.members.filter { !$0.isDirectory }
        guard !files.isEmpty else { throw VoxSAMError(.unsupportedData, "the zip archive holds no file", path: path) }
        guard files.count <= maxFiles else {
            throw VoxSAMError(.unsupportedData, "the zip archive holds \(files.count) files (at most \(maxFiles))", path: path)
        }
        var total: Int64 = 0
        for (n, m) in files.enumerated() {
            let out = "\(folder)/\(String(format: "%05d", n + 1)).dcm"
            guard FileManager.default.createFile(atPath: out, contents: nil), let handle = FileHandle(forWritingAtPath: out) else {
                throw VoxSAMError(.writeFailed, "cannot be created", path: out)
            }
            defer { try? handle.close() }
            try zip.read(m) { chunk in
                total += Int64(chunk.count)
                guard total <= maxBytes else {
                    throw VoxSAMError(.unsupportedData, "the zip archive unpacks to more than \(maxBytes) bytes", path: path)
                }
                try handle.write(contentsOf: chunk)
            }
        }
        return files.count
    }
}
