import Foundation

/// `summary.csv`: one row per object of every study (one row with empty object columns for a
/// failed or skipped study).
public enum BatchSummary {
    public static let header = "study,status,object,label,volume_ml,mean_iou,min_iou,low_confidence_slices,error"

    public static func csv(_ records: [ManifestRecord]) -> String {
        var s = header + "\n"
        for r in records {
            if r.objects.isEmpty || !r.hasResult {
                s += [field(r.study), r.status.rawValue, "", "", "", "", "", "", field(r.error ?? "")].joined(separator: ",") + "\n"
                continue
            }
            for o in r.objects {
                s += [field(r.study), r.status.rawValue, field(o.name), String(o.label), String(format: "%.3f", o.volumeML),
                      String(format: "%.4f", o.meanIoU), String(format: "%.4f", o.minIoU),
                      field(o.lowConfidenceSlices.map(String.init).joined(separator: " ")), ""].joined(separator: ",") + "\n"
            }
        }
        return s
    }

    static func field(_ s: String) -> String {
        let flat = s.replacingOccurrences(of: "\n", with: " ")
        return flat.contains(",") || flat.contains("\"") ? "\"" + flat.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : flat
    }
}
