import ArgumentParser
import VoxSAMCore
import VoxSAMProtocol
import VoxSAMSegment

/// How volumes are segmented, shared by `segment` and `batch`: the protocol and the settings that
/// override it. Each effective value is the command line's, else the protocol's, else the default.
struct SegmentationOptions: ParsableArguments {
    @Option(name: .customLong("protocol"), help: "Segmentation protocol (.yaml, or a shipped one by name, e.g. ct-abdomen): names, colours, codes, window, propagation (and batch outputs); every object's label must be in it (--name alone picks the label). Options given here win.")
    var protocolFile: String?

    @Option(name: .long, help: "Window: abdomen (W400 L40, CT default), liver, lung, bone, brain, mediastinum, W,L, p0.5,99.5 (MR default), dicom, none (default: the protocol's, else by volume).")
    var window: String?

    @Option(name: .long, help: "reference (exactly the reference procedure, default) or adaptive (stop a direction once the mask vanishes); default: the protocol's, else reference.")
    var propagation: PropagationMode?

    @Option(name: .long, help: "Slicing axis k, j or i (default: the protocol's, else k).")
    var axis: String?

    @Option(name: .long, help: "Flag slices whose predicted IoU is below this (default: the protocol's, else 0.6).")
    var lowConfidence: Float?

    func loadProtocol() throws -> SegmentationProtocol? { try protocolFile.map(ProtocolLibrary.resolve) }

    func windowText(_ proto: SegmentationProtocol?) -> String? { window ?? proto?.window.text }

    func propagationMode(_ proto: SegmentationProtocol?) -> PropagationMode {
        propagation ?? proto.flatMap { PropagationMode(rawValue: $0.propagation.mode.rawValue) } ?? .reference
    }

    /// The slicing axis as written (for manifests) and parsed.
    func sliceAxis(_ proto: SegmentationProtocol?) throws -> (text: String, axis: SliceAxis) {
        let text = axis ?? proto?.propagation.axis ?? "k"
        guard let parsed = SliceAxis.parse(text) else { throw VoxSAMError(.invalidArgument, "--axis must be i, j or k") }
        return (text, parsed)
    }

    func lowConfidenceIoU(_ proto: SegmentationProtocol?) -> Float { lowConfidence ?? proto?.propagation.lowConfidence ?? 0.6 }
}
