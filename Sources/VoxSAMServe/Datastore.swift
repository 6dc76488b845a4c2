import Foundation
import VoxSAMCore
import VoxSAMIO

/// The server's own folder of uploaded images and saved labels. A client names images by ID only;
/// every path is made here from a checked ID and a fixed file name, never from anything a client
/// sends (its upload's file name gives the format, nothing else):
///
///     DIR/images/<id>.nii.gz | .nii | .nrrd | .npz     an image as uploaded
///     DIR/images/<id>.dicom/00001.dcm …                 a zipped DICOM series, unpacked
///     DIR/labels/<tag>/<id>.nrrd | .nii.gz | .nii       a saved label (`PUT /datastore/label`)
public final class Datastore: @unchecked Sendable {
    public let directory: String
    private let lock = NSLock()

    /// The formats an upload may have, by the ending of its file name.
    public static let imageEndings = [".nii.gz", ".nii", ".nrrd", ".npz", ".zip"]
    public static let labelEndings = [".nii.gz", ".nii", ".nrrd", ".seg.nrrd"]
    /// At most this many files in a zipped DICOM series, and this many bytes unpacked.
    public static let maxDICOMFiles = 5000

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
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "\(directory)/images")) ?? []
        where name.hasPrefix(".upload-") || name.hasPrefix(".replaced-") {
            try? FileManager.default.removeItem(atPath: "\(directory)/images/\(name)")
        }
    }

    /// An image ID or label tag: 1–128 of `A-Z a-z 0-9 . _ -`, not starting with `.` (so never `..`).
    public static func checkID(_ id: String?, what: String = "image") throws -> String {
        guard let id, !id.isEmpty else { throw APIError.badRequest("`\(what)` is missing") }
        let ok = id.utf8.count <= 128 && !id.hasPrefix(".") && id.unicodeScalars.allSatisfy {
            ($0.isASCII && (CharacterSet.alphanumerics.contains($0))) || $0 == "." || $0 == "_" || $0 == "-"
        }
        guard ok else {
            throw APIError.badRequest("`\(what)` must be 1 to 128 of A-Z a-z 0-9 . _ - and not start with `.`")
        }
        return id
    }

    /// The ending of `filename` that says its format, or a 415 naming the accepted ones.
    static func ending(of filename: String?, accepted: [String]) throws -> String {
        let f = (filename ?? "").lowercased()
        guard let e = accepted.sorted(by: { $0.count > $1.count }).first(where: { f.hasSuffix($0) }) else {
            throw APIError(415, "the uploaded file's name must end in one of \(accepted.joined(separator: ", ")) (it gives the format)")
        }
        return e
    }

    /// The stored image of `id` (path to read), or nil.
    public func imagePath(_ id: String) -> String? {
        for e in Self.imageEndings {
            let p = e == ".zip" ? "\(directory)/images/\(id).dicom" : "\(directory)/images/\(id)\(e)"
            if FileManager.default.fileExists(atPath: p) { return p }
        }
        return nil
    }

    /// The IDs of the stored images.
    public func imageIDs() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "\(directory)/images")) ?? []
        return names.compactMap { n -> String? in
            guard !n.hasPrefix(".") else { return nil }
            for e in Self.imageEndings + [".dicom"] where n.hasSuffix(e) { return String(n.dropLast(e.count)) }
            return nil
        }.sorted()
    }

    /// Stores an uploaded image under `id` (replacing one stored before). A zip is unpacked to a
    /// folder of numbered files. Written under a temporary name and renamed: a failed upload leaves
    /// the earlier image as it was.
    public func storeImage(_ data: Data, id: String, filename: String?) throws -> String {
        let e = try Self.ending(of: filename, accepted: Self.imageEndings)
        lock.lock(); defer { lock.unlock() }
        let images = "\(directory)/images"
        let temp = "\(images)/.upload-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: temp) }
        let final: String
        if e == ".zip" {
            let zip = temp + ".zip"
            defer { unlink(zip) }
            try AtomicWrite.write(data, to: zip)
            try FileManager.default.createDirectory(atPath: temp, withIntermediateDirectories: false)
            do {
                _ = try ZipExtraction.extractFiles(of: zip, into: temp, maxFiles: Self.maxDICOMFiles, maxBytes: Int64(data.count) * 64 + (1 << 30))
            } catch let err as VoxSAMError { throw APIError(422, "\(id): \(err.message.replacingOccurrences(of: zip, with: id))") }
            final = "\(images)/\(id).dicom"
        } else {
            try AtomicWrite.write(data, to: temp)
            final = "\(images)/\(id)\(e)"
        }
        // The new image takes the old one's place in one rename (a folder: the old one is moved aside
        // first and put back if the rename fails); only then do other stored forms of the ID go.
        let aside = "\(images)/.replaced-\(UUID().uuidString)"
        let hadFolder = e == ".zip" && rename(final, aside) == 0
        guard rename(temp, final) == 0 else {
            let reason = String(cString: strerror(errno))
            if hadFolder { _ = rename(aside, final) }
            throw VoxSAMError(.writeFailed, "the upload cannot be stored (\(reason))", path: final)
        }
        if hadFolder { try? FileManager.default.removeItem(atPath: aside) }
        for other in Self.imageEndings {
            let p = other == ".zip" ? "\(images)/\(id).dicom" : "\(images)/\(id)\(other)"
            if p != final { try? FileManager.default.removeItem(atPath: p) }
        }
        return final
    }

    /// Stores a label for image `id` under `tag`.
    public func storeLabel(_ data: Data, id: String, tag: String, filename: String?) throws -> String {
        let e = try Self.ending(of: filename, accepted: Self.labelEndings)
        lock.lock(); defer { lock.unlock() }
        let folder = "\(directory)/labels/\(tag)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = "\(folder)/\(id)\(e)"
        try AtomicWrite.write(data, to: path)
        for other in Self.labelEndings where other != e { try? FileManager.default.removeItem(atPath: "\(folder)/\(id)\(other)") }
        return path
    }

    /// The saved label of `id` under `tag`, or nil.
    public func labelPath(_ id: String, tag: String) -> String? {
        Self.labelEndings.sorted(by: { $0.count > $1.count }).map { "\(directory)/labels/\(tag)/\(id)\($0)" }
            .first { FileManager.default.fileExists(atPath: $0) }
    }

    /// Tags under which `id` has a label.
    public func labelTags(_ id: String) -> [String] {
        let tags = (try? FileManager.default.contentsOfDirectory(atPath: "\(directory)/labels")) ?? []
        return tags.filter { !$0.hasPrefix(".") && labelPath(id, tag: $0) != nil }.sorted()
    }
}
