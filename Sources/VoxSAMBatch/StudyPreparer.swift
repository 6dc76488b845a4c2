import Foundation
import VoxSAMCore
import VoxSAMIO
import VoxSAMProtocol
import VoxSAMJob
import VoxSAMSegment

/// The reading stage of a batch: hashes a study's inputs, decides whether it needs work, reads and
/// windows the image and turns its prompts into objects. Runs on the reader thread; never throws —
/// problems become a `failed` outcome naming the study's file.
struct StudyPreparer: Sendable {
    let config: BatchConfiguration
    /// Latest record per study from earlier runs (for `--resume`).
    let previous: [String: ManifestRecord]
    /// The job's reading stage (no model).
    let reader: JobReader

    /// What the resume key is computed from.
    private struct KeyMaterial: Encodable {
        var inputs: [ManifestRecord.FileHash]
        var prompts: StudyPrompts?
        var masks: [ManifestRecord.FileHash]
        var protocolSHA256: String?
        var modelSHA256: String
        var settings: BatchSettings
    }

    static func now() -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date())
    }

    static func hash(_ path: String, as name: String) throws -> ManifestRecord.FileHash {
        let bytes = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int
        return ManifestRecord.FileHash(path: name, sha256: try SHA256.hex(ofFile: path), bytes: bytes ?? 0)
    }

    func prepare(_ study: Study) -> PreparedStudy {
        let start = Date()
        var prepared = PreparedStudy(study: study, prompts: config.prompts.studies[study.name], outcome: .skipped(reason: ""),
                                     key: "", image: nil, series: nil, inputs: [], masks: [], prepareSeconds: 0,
                                     startedAt: StudyPreparer.now())
        fill(&prepared)
        prepared.prepareSeconds = Date().timeIntervalSince(start)
        return prepared
    }

    /// Hashes, decides and reads; every problem becomes a `failed` outcome.
    private func fill(_ prepared: inout PreparedStudy) {
        var study = prepared.study
        let prompts = prepared.prompts
        do {
            if study.isRemote {
                // A listed series: fetched now, into a private folder removed once the study is recorded.
                // Its inputs are its instances by content (the order they arrive in may differ).
                guard prompts != nil else {
                    prepared.outcome = .skipped(reason: "no prompts for this study in \(URL(fileURLWithPath: config.prompts.path).lastPathComponent)")
                    return
                }
                guard let fetch = config.fetch else { throw VoxSAMError(.internal, "no way to fetch a listed study", path: study.path) }
                let fetched = try fetch(study.path)
                prepared.release = fetched.remove
                prepared.fetchedFolder = fetched.folder
                study = Study(name: study.name, path: fetched.folder, isFolder: true)
                prepared.inputs = try study.files().map { try StudyPreparer.hash($0, as: "") }.sorted { $0.sha256 < $1.sha256 }
                    .enumerated().map { n, h in ManifestRecord.FileHash(path: "\(prepared.study.path)#\(n + 1)", sha256: h.sha256, bytes: h.bytes) }
            } else {
                let base = URL(fileURLWithPath: config.studiesDirectory).standardizedFileURL.path
                prepared.inputs = try study.files().map { f in
                    let std = URL(fileURLWithPath: f).standardizedFileURL.path
                    let rel = std.hasPrefix(base + "/") ? String(std.dropFirst(base.count + 1)) : std
                    return try StudyPreparer.hash(f, as: rel)
                }
            }
            let maskPaths = Set(prompts?.objects.compactMap(\.fromMask) ?? []).sorted()
            prepared.masks = try maskPaths.map { m in
                let abs = config.prompts.resolve(maskPath: m)
                guard FileManager.default.fileExists(atPath: abs) else {
                    throw VoxSAMError(.notFound, "the mask given in the prompts file (\(prompts?.origin ?? "")) does not exist", path: abs)
                }
                return try StudyPreparer.hash(abs, as: m)
            }
            let material = KeyMaterial(inputs: prepared.inputs, prompts: prompts, masks: prepared.masks,
                                       protocolSHA256: config.segmentationProtocol?.sha256, modelSHA256: config.modelSHA256,
                                       settings: config.settings)
            prepared.key = SHA256.hex(of: try ManifestStore.encoder().encode(material))

            guard let prompts else {
                prepared.outcome = .skipped(reason: "no prompts for this study in \(URL(fileURLWithPath: config.prompts.path).lastPathComponent)")
                return
            }
            if config.resume, let last = previous[study.name], last.hasResult, last.key == prepared.key, outputsIntact(last) {
                prepared.outcome = .upToDate(last)
                return
            }
            let imagePath = try study.imagePath(prompted: prompts.image)
            prepared.image = prepared.fetchedFolder == nil ? relative(imagePath) : prepared.study.path
            var options = config.readOptions
            options.series = prompts.series
            let input = JobInput(path: imagePath, readOptions: options, objects: prompts.objects, origin: prompts.origin,
                                 displayName: prepared.image, maskBaseDirectory: config.prompts.baseDirectory)
            // No plan check here: a study writes the outputs its image can give (a NIfTI study skips
            // DICOM SEG and RTSTRUCT, recorded in its manifest record) — see BatchRunner.segment.
            let job = try reader.prepare(input)
            prepared.series = job.series
            prepared.outcome = .ready(job)
        } catch let e as VoxSAMError {
            // A fetched series is named by its address, not the private folder.
            prepared.outcome = .failed(prepared.naming(e))
        } catch {
            prepared.outcome = .failed(VoxSAMError(.internal, "\(error)", path: study.path))
        }
    }

    private func relative(_ path: String) -> String {
        let base = URL(fileURLWithPath: config.studiesDirectory).standardizedFileURL.path
        let p = URL(fileURLWithPath: path).standardizedFileURL.path
        return p.hasPrefix(base + "/") ? String(p.dropFirst(base.count + 1)) : p
    }

    /// Every output of the record is still there with the same content.
    func outputsIntact(_ r: ManifestRecord) -> Bool {
        guard !r.outputs.isEmpty else { return false }
        return r.outputs.allSatisfy { o in
            let p = (config.outputDirectory as NSString).appendingPathComponent(o.path)
            return (try? SHA256.hex(ofFile: p)) == o.sha256
        }
    }
}
