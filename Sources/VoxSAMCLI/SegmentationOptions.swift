import ArgumentParser
import VoxSAMCore
import VoxSAMJob
import VoxSAMProtocol

/// How volumes are segmented, shared by `segment` and `batch`: the protocol and the settings that
/// override it, resolved once into the job's `JobSettings` (command line, else protocol, else default).
struct SegmentationOptions: ParsableArguments {
    @Option(name: .customLong("protocol"), help: "Segmentation protocol (.yaml, or a shipped one by name, e.g. ct-abdomen): names, colours, codes, window, propagation (and batch outputs); every object's label must be in it (--name alone picks the label). Options given here win.")
    var protocolFile: String?

    @Option(name: .long, help: "Window: abdomen (W400 L40, CT default), liver, lung, bone, brain, mediastinum, W,L, p0.5,99.5 (MR default), dicom, none (default: the protocol's, else by volume).")
    var window: String?

    @Option(name: .long, help: "reference (exactly the reference procedure, default) or adaptive (stop a direction once the mask vanishes); default: the protocol's, else reference.")
    var propagation: PropagationMode?

    @Option(name: .long, help: "Slicing axis k, j or i (default: the protocol's, else k).")
    var axis: String?

    @Option(name: .long, help: "Flag slices for checking whose predicted IoU is below this (default: the protocol's, else 0.8); slices with a stability score below 0.75 or an area jump above 1.5x to a neighbour are flagged too.")
    var lowConfidence: Float?

    func loadProtocol() throws -> SegmentationProtocol? { try protocolFile.map(ProtocolLibrary.resolve) }

    /// `precision`: `--precision` of the command's `ModelOptions`.
    func settings(_ proto: SegmentationProtocol?, precision: Precision?) throws -> JobSettings {
        try JobSettings.resolve(window: window.map(Window.parse), propagation: propagation, axis: axis.map(SliceAxis.parse),
                                lowConfidence: lowConfidence, precision: precision, protocol: proto)
    }
}

// Window and axis are parsed by their one parser (whose message says what is accepted).
extension PropagationMode: ExpressibleByArgument {}
