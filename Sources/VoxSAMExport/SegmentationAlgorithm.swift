import VoxSAMCore

/// How a label map was made, as the DICOM exports record it: SEG's SegmentAlgorithmType (+ algorithm
/// identification) and RTSTRUCT's ROIGenerationAlgorithm (+ description). `voxsam segment` writes
/// AUTOMATIC LiteMedSAM (SEMIAUTOMATIC once a user's corrections went into the result); `voxsam
/// export` does not know where its label map came from, so it claims no algorithm (MANUAL) unless
/// `--algorithm-type` / `--algorithm-name` say otherwise.
public struct SegmentationAlgorithm: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case automatic, semiautomatic, manual

        /// The DICOM defined term (SEG SegmentAlgorithmType, RTSTRUCT ROIGenerationAlgorithm).
        public var dicomTerm: String { rawValue.uppercased() }
    }

    public var kind: Kind
    /// The algorithm (required for AUTOMATIC and SEMIAUTOMATIC in a SEG; nil for MANUAL).
    public var name: String?
    public var version: String?
    /// RTSTRUCT ROIGenerationDescription.
    public var description: String

    public init(kind: Kind, name: String?, version: String? = nil, description: String? = nil) {
        self.kind = kind
        self.name = name
        self.version = version
        self.description = description ?? [name, version].compactMap { $0 }.joined(separator: " ")
    }

    /// What `voxsam segment` and `batch` ran: LiteMedSAM from box prompts; SEMIAUTOMATIC when the
    /// result includes the user's corrections.
    /// `precision`: the encoder arithmetic that ran; anything but fp32 is named in the version and
    /// description (an int8 result is not the reference model's).
    public static func liteMedSAM(corrected: Bool = false, precision: Precision? = nil) -> SegmentationAlgorithm {
        let arithmetic = precision.flatMap { $0 == .fp32 ? nil : $0.rawValue }
        return SegmentationAlgorithm(kind: corrected ? .semiautomatic : .automatic, name: "LiteMedSAM",
                                     version: VoxSAMVersion.string + (arithmetic.map { " \($0) encoder" } ?? ""),
                                     description: "VoxSAM \(VoxSAMVersion.string) LiteMedSAM" + (arithmetic.map { " (\($0) encoder)" } ?? "")
                                        + ", box-prompted" + (corrected ? ", corrected" : ""))
    }

    /// The same algorithm for a structure a user corrected (key boxes): AUTOMATIC becomes SEMIAUTOMATIC.
    public var corrected: SegmentationAlgorithm {
        guard kind == .automatic else { return self }
        return SegmentationAlgorithm(kind: .semiautomatic, name: name, version: version, description: description + ", corrected")
    }

    /// `--algorithm-type` / `--algorithm-name`: the type defaults to `automatic` when a name is given,
    /// else `manual`; AUTOMATIC and SEMIAUTOMATIC need a name, MANUAL takes none.
    public static func parse(type: String?, name: String?) throws -> SegmentationAlgorithm {
        let name = name?.trimmingCharacters(in: .whitespaces)
        if let name, name.isEmpty { throw VoxSAMError(.invalidArgument, "--algorithm-name is empty") }
        let kind: Kind
        if let type {
            guard let k = Kind(rawValue: type.lowercased()) else {
                throw VoxSAMError(.invalidArgument, "--algorithm-type must be \(Kind.allCases.map(\.rawValue).joined(separator: ", ")) (got `\(type)`)")
            }
            kind = k
        } else {
            kind = name == nil ? .manual : .automatic
        }
        switch (kind, name) {
        case (.manual, .some):
            throw VoxSAMError(.invalidArgument, "--algorithm-type manual takes no --algorithm-name (a manual segmentation has no algorithm)")
        case (.automatic, nil), (.semiautomatic, nil):
            throw VoxSAMError(.invalidArgument, "--algorithm-type \(kind.rawValue) needs --algorithm-name (the DICOM SEG records which algorithm made it)")
        default:
            return SegmentationAlgorithm(kind: kind, name: name)
        }
    }
}
