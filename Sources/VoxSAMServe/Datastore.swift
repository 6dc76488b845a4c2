import Foundation
import VoxSAMCore
import VoxSAMIO

/// The server's own folder of uploaded images and saved labels. A client names images by ID only;
/// every path is made here from a hash of the ID and fixed file names, never from anything a client
/// sends (an upload's file name gives the format, nothing else), and no file name carries an ID
/// (an ID may be a patient's name):
///
///     DIR/images/<h>/id                                  the ID as given (for listing)
///     DIR/images/<h>/image.nii.gz | .nii | .nrrd | .npz  an image as uploaded
///     DIR/images/<h>/image.dicom/00001.dcm …             a DICOM series (zipped, or several files), unpacked
///     DIR/labels/<tag>/<h>/id, label.nrrd | …            a saved label (`PUT /datastore/label`)
///
/// `<h>` is the SHA-256 of the ID. An image folder holds nothing else, so a detached NRRD header can
/// only name files of its own image (NRRDReader refuses data outside the header's folder).
/// Replacing an image or label is one rename of a complete folder: a failed upload leaves the
/// earlier one as it was.
public final class Datastore: @unchecked Sendable {
    public let directory: String
    private let lock = NSLock()

    /// The formats an upload may have, by the ending of its file name (`.zip`: a DICOM series).
    public static let imageEndings = [".nii.gz", ".nii", ".nrrd", ".npz", ".zip"]
    public static let labelEndings = [".seg.nrrd", ".nii.gz", ".nii", ".nrrd"]
    /// At most this many files in a DICOM series, and this many bytes unpacked from a zip.
    public static let maxDICOMFiles = ReceivedSeriesLimits.maxFiles
    public static let maxUnpackedBytes = ReceivedSeriesLimits.maxBytes

    public init(directory: String) throws {
        self.directory = directory
        for sub in ["images", "labels"] {
            do {
                try FileManager.default.createDirectory(atPath: "\(directory)/\(sub)", withIntermediateDirectories: true)
            } catch {
                throw VoxSAMError(.writeFailed, "the datastore folder cannot be created (\(error.localizedDescription))", path: directory)
            }
        }
        // Uploads a killed server left half-written.
        let tags = ((try? FileManager.default.contentsOfDirectory(atPath: "\(directory)/labels")) ?? []).map { "labels/\($0)" }
        for sub in ["images"] + tags {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: "\(directory)/\(sub)")) ?? [] where name.hasPrefix(".") {
                try? FileManager.default.removeItem(atPath: "\(directory)/\(sub)/\(name)")
            }
        }
    }

    // MARK: IDs

    /// An image or session ID: 1–255 printable characters, no `/` or `\`, not `.` or `..` (3D Slicer
    /// sends volume names such as `3: Ax T1 2.5mm`).
    public static func checkID(_ id: String?, what: String = "image") throws -> String {
        guard let id, !id.isEmpty else { throw APIError.badRequest("`\(what)` is missing") }
        let ok = id.count <= 255 && id != "." && id != ".." && !id.contains("/") && !id.contains("\\")
            && id.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7f && !(0x80..<0xa0).contains($0.value) }
        guard ok else {
            throw APIError.badRequest("`\(what)` must be 1 to 255 printable characters without `/` or `\\`, and not `.` or `..`")
        }
        return id
    }

    /// A label tag: 1–64 of `A-Z a-z 0-9 . _ -`, not starting with `.` (`final`, `original`, …).
    public static func checkTag(_ tag: String?) throws -> String {
        let t = tag.flatMap { $0.isEmpty ? nil : $0 } ?? "final"
        guard t.utf8.count <= 64, !t.hasPrefix("."),
              t.unicodeScalars.allSatisfy({ ($0.isASCII && CharacterSet.alphanumerics.contains($0)) || "._-".unicodeScalars.contains($0) }) else {
            throw APIError.badRequest("`tag` must be 1 to 64 of A-Z a-z 0-9 . _ - and not start with `.`")
        }
        return t
    }

    static func hash(_ id: String) -> String { SHA256.hex(of: Array(id.utf8)) }

    /// The ending of `filename` that says its format, or a 415 naming the accepted ones.
    static func ending(of filename: String?, accepted: [String]) throws -> String {
        let f = (filename ?? "").lowercased()
        guard let e = accepted.sorted(by: { $0.count > $1.count }).first(where: { f.hasSuffix($0) }) else {
            throw APIError(415, "the uploaded file's name must end in one of \(accepted.joined(separator: ", ")) (it gives the format)")
        }
        return e
    }

    // MARK: Images

    private func imageFolder(_ id: String) -> String { "\(directory)/images/\(Self.hash(id))" }

    /// The stored image of `id` (the path to read), or nil.
    public func imagePath(_ id: String) -> String? { imageFile(in: imageFolder(id)) }

    /// The image file of an image folder, or nil.
    private func imageFile(in folder: String) -> String? {
        for e in Self.imageEndings {
            let p = "\(folder)/image" + (e == ".zip" ? ".dicom" : e)
            if FileManager.default.fileExists(atPath: p) { return p }
        }
        return nil
    }

    /// The IDs of the stored images, with their stored ending.
    public func images() -> [(id: String, ending: String)] {
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: "\(directory)/images")) ?? []
        return folders.filter { !$0.hasPrefix(".") }.compactMap { h -> (String, String)? in
            guard let d = FileManager.default.contents(atPath: "\(directory)/images/\(h)/id"), let path = imagePath(String(decoding: d, as: UTF8.self)) else { return nil }
            return (String(decoding: d, as: UTF8.self), String(path[path.range(of: "/image", options: .backwards)!.upperBound...]))
        }.sorted { $0.0 < $1.0 }
    }

    /// Stores an uploaded image under `id` (replacing one stored before, in any format). A zip is
    /// unpacked to numbered files. Returns the path to read.
    public func storeImage(_ data: Data, id: String, filename: String?) throws -> String {
        let e = try Self.ending(of: filename, accepted: Self.imageEndings)
        return try replaceFolder(imageFolder(id), id: id) { staged in
            if e == ".zip" {
                let zip = "\(staged)/upload.zip"
                try AtomicWrite.write(data, to: zip)
                defer { unlink(zip) }
                try FileManager.default.createDirectory(atPath: "\(staged)/image.dicom", withIntermediateDirectories: false)
                do {
                    try ZipExtraction.extractFiles(of: zip, into: "\(staged)/image.dicom", maxFiles: Self.maxDICOMFiles, maxBytes: Self.maxUnpackedBytes)
                } catch let err as VoxSAMError { throw APIError(422, "the zip archive: \(err.message)") }
                return "image.dicom"
            }
            try AtomicWrite.write(data, to: "\(staged)/image\(e)")
            return "image\(e)"
        }
    }

    /// Stores several uploaded files as the slices of one DICOM series under `id`.
    public func storeSeries(_ files: [Data], id: String) throws -> String {
        guard files.count <= Self.maxDICOMFiles else { throw APIError(413, "at most \(Self.maxDICOMFiles) files per series") }
        return try replaceFolder(imageFolder(id), id: id) { staged in
            try FileManager.default.createDirectory(atPath: "\(staged)/image.dicom", withIntermediateDirectories: false)
            for (n, d) in files.enumerated() { try AtomicWrite.write(d, to: "\(staged)/image.dicom/\(String(format: "%05d", n + 1)).dcm") }
            return "image.dicom"
        }
    }

    /// Stores the DICOM files of `folder` (a series fetched from a PACS) under `id`, moved in.
    /// Only when the ID has no image yet: an upload that arrived meanwhile is kept.
    public func storeFolder(_ folder: String, id: String) throws -> String {
        try replaceFolder(imageFolder(id), id: id, onlyIfAbsent: true) { staged in
            try FileManager.default.moveItem(atPath: folder, toPath: "\(staged)/image.dicom")
            return "image.dicom"
        }
    }

    /// Whether an image ID is a DICOM UID (a SeriesInstanceUID, as OHIF names images): digits in at
    /// least two dotted parts, so that a volume named "3" is not taken for one.
    public static func isUID(_ id: String) -> Bool {
        DICOMUID.isValid(id) && id.contains(".") && !id.contains("..")
    }

    /// Removes the image of `id` (a session's upload).
    public func removeImage(_ id: String) {
        try? FileManager.default.removeItem(atPath: imageFolder(id))
    }

    // MARK: Labels

    private func labelFolder(_ id: String, tag: String) -> String { "\(directory)/labels/\(tag)/\(Self.hash(id))" }

    /// Stores a label for image `id` under `tag` (replacing one stored before).
    public func storeLabel(_ data: Data, id: String, tag: String, filename: String?) throws -> String {
        let e = try Self.ending(of: filename, accepted: Self.labelEndings)
        try FileManager.default.createDirectory(atPath: "\(directory)/labels/\(tag)", withIntermediateDirectories: true)
        return try replaceFolder(labelFolder(id, tag: tag), id: id) { staged in
            try AtomicWrite.write(data, to: "\(staged)/label\(e)")
            return "label\(e)"
        }
    }

    /// The saved label of `id` under `tag`, or nil.
    public func labelPath(_ id: String, tag: String) -> String? {
        let folder = labelFolder(id, tag: tag)
        return Self.labelEndings.map { "\(folder)/label\($0)" }.first { FileManager.default.fileExists(atPath: $0) }
    }

    /// Tags under which `id` has a label, with the label's ending.
    public func labels(_ id: String) -> [(tag: String, ending: String)] {
        let tags = (try? FileManager.default.contentsOfDirectory(atPath: "\(directory)/labels")) ?? []
        return tags.filter { !$0.hasPrefix(".") }.sorted().compactMap { tag in
            labelPath(id, tag: tag).map { (tag, String($0[$0.range(of: "/label", options: .backwards)!.upperBound...])) }
        }
    }

    // MARK: Replacing a folder in one step

    /// Builds the new content of `folder` in a hidden folder beside it (`fill` returns the file it
    /// wrote, relative), then puts it in place: the old folder is moved aside, the new one renamed
    /// in, the old one removed (or put back if the rename fails). Returns the written file's path.
    private func replaceFolder(_ folder: String, id: String, onlyIfAbsent: Bool = false, _ fill: (String) throws -> String) throws -> String {
        let parent = (folder as NSString).deletingLastPathComponent
        let staged = "\(parent)/.upload-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: staged, withIntermediateDirectories: true)
        var placed = false
        defer { if !placed { try? FileManager.default.removeItem(atPath: staged) } }
        try AtomicWrite.write(Data(id.utf8), to: "\(staged)/id")
        let file = try fill(staged)
        lock.lock(); defer { lock.unlock() }
        if onlyIfAbsent, let existing = imageFile(in: folder) { return existing }
        let aside = "\(parent)/.replaced-\(UUID().uuidString)"
        let hadOld = rename(folder, aside) == 0
        guard rename(staged, folder) == 0 else {
            let reason = String(cString: strerror(errno))
            if hadOld { _ = rename(aside, folder) }
            throw VoxSAMError(.writeFailed, "the upload cannot be stored (\(reason))", path: folder)
        }
        placed = true
        if hadOld { try? FileManager.default.removeItem(atPath: aside) }
        return "\(folder)/\(file)"
    }
}
