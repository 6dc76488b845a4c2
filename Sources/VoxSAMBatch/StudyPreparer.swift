import Foundation
import VoxSAMCore
import VoxSAMIO
import VoxSAMProtocol
import VoxSAMSegment

/// The reading stage of a batch: hashes a study's inputs, decides whether it needs work, reads and
/// windows the image and turns its prompts into objects. Runs on the reader thread; never throws —
/// problems become a `failed` outcome naming the study's file.
struct StudyPreparer: Sendable {
    let config: BatchConfiguration
    /// Latest record per study from earlier runs (for `--resume`).
    let previous: [String: ManifestRecord]

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
        let study = prepared.study, prompts = prepared.prompts
        do {
            let base = URL(fileURLWithPath: config.studiesDirectory).standardizedFileURL.path
            prepared.inputs = try study.files().map { f in
                let std = URL(fileURLWithPath: f).standardizedFileURL.path
                let rel = std.hasPrefix(base + "/") ? String(std.dropFirst(base.count + 1)) : std
                return try StudyPreparer.hash(f, as: rel)
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
            if config.resume, let last = previous[study.name], last.status == .done, last.key == prepared.key, outputsIntact(last) {
                prepared.outcome = .upToDate(last)
                return
            }
            let imagePath = try study.imagePath(prompted: prompts.image)
            prepared.image = relative(imagePath)
            var options = config.readOptions
            options.series = try prompts.series ?? chooseSeries(imagePath)
            prepared.series = options.series
            let volume = try VolumeReader.read(path: imagePath, options: options)
            var objects = try makeObjects(prompts, volume: volume, imagePath: imagePath)
            if let p = config.segmentationProtocol {
                objects = try ProtocolPrompts.apply(p, to: objects)
            }
            guard let axis = SliceAxis.parse(config.settings.axis) else {
                throw VoxSAMError(.invalidArgument, "axis must be i, j or k")
            }
            try PromptSource.validate(objects, size: volume.size, axis: axis.axis)
            let window = try config.settings.window.map(Window.parse) ?? Window.defaultWindow(for: volume)
            let image8 = Windowing.apply(window, to: volume)
            prepared.outcome = .ready(image8: image8, source: volume.metadata, objects: objects)
        } catch let e as VoxSAMError {
            prepared.outcome = .failed(e)
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

    /// The protocol's `series_description` picks a DICOM series when the study holds several.
    private func chooseSeries(_ imagePath: String) throws -> String? {
        guard let wanted = config.segmentationProtocol?.seriesDescription,
              (try? VolumeReader.format(of: imagePath)) == .dicom else { return nil }
        let series = try DICOMReader.listSeries(path: imagePath)
        if series.count == 1 { return nil }
        let matches = series.filter { ($0.seriesDescription ?? "").localizedCaseInsensitiveContains(wanted) }
        guard matches.count == 1 else {
            let listed = series.map { "\($0.key) `\($0.seriesDescription ?? "")`" }.joined(separator: "; ")
            throw VoxSAMError(.invalidArgument, "\(matches.count) of \(series.count) series match the protocol's series_description `\(wanted)` (\(listed)); give `series` in the prompts file", path: imagePath)
        }
        return matches[0].key
    }

    /// The prompts entry as objects on this volume.
    private func makeObjects(_ p: StudyPrompts, volume: Volume, imagePath: String) throws -> [ObjectPrompt] {
        let proto = config.segmentationProtocol
        if p.objects.isEmpty {
            guard (try? VolumeReader.format(of: imagePath)) == .npz else {
                throw VoxSAMError(.invalidArgument, "\(p.origin): no objects for study `\(p.study)`; give boxes, box_mm or from_mask (only a CVPR24 .npz brings its own boxes)", path: config.prompts.path)
            }
            return try PromptSource.fromNPZ(path: imagePath).map { o in
                var o = o
                if let s = proto?.structure(label: o.label) { o.name = s.name }
                return o
            }
        }
        var out: [ObjectPrompt] = []
        for (n, spec) in p.objects.enumerated() {
            let what = "\(p.origin): object \(spec.name.map { "`\($0)`" } ?? String(n + 1))"
            let color = spec.color.map { RGB(UInt8($0[0]), UInt8($0[1]), UInt8($0[2])) }
            func label(default d: Int) -> Int {
                spec.label ?? spec.name.flatMap { proto?.structure(named: $0)?.label } ?? d
            }
            if let b = spec.box {
                let l = label(default: n + 1)
                out.append(ObjectPrompt(name: spec.name ?? proto?.structure(label: l)?.name ?? "object\(n + 1)", label: l,
                                        box: VoxelBox(b), keySlice: spec.keySlice, color: color))
            } else if let mm = spec.boxMM {
                let l = label(default: n + 1)
                let box = try PromptSource.box(fromMillimetres: mm, geometry: volume.geometry, what: what)
                out.append(ObjectPrompt(name: spec.name ?? proto?.structure(label: l)?.name ?? "object\(n + 1)", label: l,
                                        box: box, keySlice: spec.keySlice, color: color))
            } else if let m = spec.fromMask {
                let path = config.prompts.resolve(maskPath: m)
                let mask = try VolumeReader.read(path: path)
                guard mask.geometry.isSameGrid(as: volume.geometry, tolerance: 1e-2) else {
                    throw VoxSAMError(.geometry, "\(what): the mask is not on the image's grid (size \(mask.size.x)x\(mask.size.y)x\(mask.size.z) vs \(volume.size.x)x\(volume.size.y)x\(volume.size.z), or different origin/spacing/direction)", path: path)
                }
                var found = try PromptSource.fromLabelMap(mask, only: spec.maskLabel.map { [$0] })
                if found.count == 1, spec.label != nil || spec.name != nil {
                    found[0].label = label(default: found[0].label)
                    found[0].name = spec.name ?? proto?.structure(label: found[0].label)?.name ?? found[0].name
                } else {
                    for i in found.indices { found[i].name = proto?.structure(label: found[i].label)?.name ?? found[i].name }
                }
                for i in found.indices { found[i].keySlice = spec.keySlice; found[i].color = color }
                out += found
            }
        }
        return out
    }
}
