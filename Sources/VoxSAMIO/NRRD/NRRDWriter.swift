import Foundation
import VoxSAMCore

/// Writes a `Volume` as a single-file NRRD in LPS space with gzip (default) or raw encoding.
/// Extra key/value pairs (e.g. Slicer's `Segment0_Name`) go after the fields.
public enum NRRDWriter {
    public enum Encoding: String, Sendable { case raw, gzip }

    public static func write(_ volume: Volume, to path: String, encoding: Encoding = .gzip,
                             keyValues: [(String, String)] = [], extraFields: [(String, String)] = []) throws {
        let g = volume.geometry
        var h = NRRDHeader(magic: "NRRD0004")
        let type: String
        switch volume.type {
        case .uint8: type = "uint8"
        case .int16: type = "int16"
        case .uint16: type = "uint16"
        case .int32: type = "int32"
        case .float32: type = "float"
        }
        h.fields = [
            ("type", type), ("dimension", "3"), ("space", "left-posterior-superior"),
            ("sizes", "\(g.size.x) \(g.size.y) \(g.size.z)"),
            ("space directions", (0..<3).map { NRRDVector.format(g.stepMatrix[column: $0]) }.joined(separator: " ")),
            ("kinds", "domain domain domain"), ("endian", "little"), ("encoding", encoding.rawValue),
            ("space origin", NRRDVector.format(g.origin)),
        ] + extraFields
        h.keyValues = keyValues
        var out = Data(h.text.utf8)
        try volume.voxels.withUnsafeBytes { raw in
            switch encoding {
            case .raw: out.append(contentsOf: raw)
            case .gzip: out.append(try Gzip.compress(raw))
            }
        }
        try AtomicWrite.write(out, to: path)
    }
}
