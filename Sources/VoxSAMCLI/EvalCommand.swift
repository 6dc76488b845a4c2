import ArgumentParser
import Foundation
import VoxSAMCore
import VoxSAMIO
import VoxSAMSegment

/// `voxsam eval PRED GT`: Dice and normalised surface Dice per label.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Dice (DSC), normalised surface Dice (NSD) and HD95 per label and their means, for label maps of the same image.",
        discussion: """
        The prediction may be in another axis order or direction than the ground truth (e.g. a NIfTI \
        converted from the DICOM series): it is reindexed exactly onto the ground truth's voxels; any \
        other grid is refused. Files without geometry (an .npz without `spacing`) are compared by size. \
        By default every label present in either map is scored; labels absent from both never enter \
        the means.

        Example: voxsam eval seg.nii.gz gt.nii.gz --labels 1,5
        """)

    @Argument(help: "Predicted label map (.nii.gz, .nii, .nrrd, .npz with `segs`, DICOM not supported).")
    var prediction: String

    @Argument(help: "Ground-truth label map (an .npz may hold `gts`). Spacing is taken from it.")
    var groundTruth: String

    @Option(name: .long, help: "NSD tolerance in mm.")
    var toleranceMm: Double = 2

    @Option(name: .long, help: "Only these labels, e.g. 1,5 (default: every label present in either map).")
    var labels: String?

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func run() throws {
        let wanted = try labels.map(Self.parseLabels)
        var (p, pKnown) = try readLabels(prediction, preferred: "segs")
        let (g, gKnown) = try readLabels(groundTruth, preferred: "gts")
        switch min(pKnown, gKnown) {
        case .full:
            // The one grid rule for label maps: same voxels in another axis order are reindexed exactly.
            p = try LabelMapAlignment.align(p, onto: g.geometry, reference: "ground truth", labelMapPath: prediction)
        case .spacing:
            // A CVPR24 .npz has spacing but no origin or direction: compared by size and spacing.
            let (a, b) = (p.geometry.spacing, g.geometry.spacing)
            guard p.size == g.size, (0..<3).allSatisfy({ abs(a[$0] - b[$0]) <= 1e-3 * max(1, abs(b[$0])) }) else {
                throw VoxSAMError(.geometry, "prediction \(p.size.x)x\(p.size.y)x\(p.size.z) spacing \(a.x),\(a.y),\(a.z) and ground truth \(g.size.x)x\(g.size.y)x\(g.size.z) spacing \(b.x),\(b.y),\(b.z) differ (one file has no origin/direction, so only size and spacing are compared)", path: prediction)
            }
            p.geometry = g.geometry
        case .none:
            break  // an .npz without spacing: compared by size only (Evaluation checks the size)
        }
        let report = try Evaluation.evaluate(prediction: p, groundTruth: g, toleranceMM: toleranceMm, labels: wanted,
                                             checkGeometry: min(pKnown, gKnown) == .full)
        if json {
            print(try JSONOutput.string(report))
        } else {
            func hd(_ v: Double?) -> String { v.map { String(format: "%8.2f", $0) } ?? "       -" }
            print("label   DSC     NSD     HD95 mm  gt voxels  pred voxels")
            for s in report.perLabel {
                print(String(format: "%5d  %.4f  %.4f  %@  %10d  %11d%@", s.label, s.dsc, s.nsd, hd(s.hd95MM), s.gtVoxels, s.segVoxels,
                             s.absentFromBoth ? "  (in neither map: not in the mean)" : ""))
            }
            print(String(format: " mean  %.4f  %.4f  %@  (%d labels; NSD tolerance %.2g mm)", report.dsc, report.nsd, hd(report.hd95MM),
                         report.labelsInMean.count, report.toleranceMM))
        }
    }

    /// `--labels 1,5`.
    static func parseLabels(_ text: String) throws -> [Int] {
        var out: [Int] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let v = Int(part.trimmingCharacters(in: .whitespaces)) else {
                throw VoxSAMError(.invalidArgument, "--labels must be label values separated by commas, e.g. 1,5 (got `\(text)`)")
            }
            try LabelValue.check(v, "--labels")
            if !out.contains(v) { out.append(v) }
        }
        return out
    }

    /// How much geometry a label map's file carries.
    enum KnownGeometry: Int, Comparable {
        case none, spacing, full  // .npz without `spacing`; CVPR24 .npz (spacing only); everything else
        static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    }

    /// The label map and how much geometry its file carries.
    func readLabels(_ path: String, preferred: String) throws -> (Volume, KnownGeometry) {
        if try VolumeReader.format(of: path) == .npz {
            let npz = try NPZArchive.read(path: path)
            let name = npz[preferred] != nil ? preferred : (npz["segs"] != nil ? "segs" : "gts")
            guard let a = npz[name] else {
                throw VoxSAMError(.corruptFile, "the .npz holds no `segs` or `gts` label array", path: path)
            }
            let known: KnownGeometry = npz["spacing"] == nil ? .none
                : (npz["origin"] != nil && npz["direction"] != nil ? .full : .spacing)
            return (try NPZVolume.volume(a, name: name, archive: npz, path: path), known)
        }
        return (try VolumeReader.read(path: path), .full)
    }
}
