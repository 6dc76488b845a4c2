import VoxSAMCore
import VoxSAMProtocol
import VoxSAMSegment

/// Applies a segmentation protocol to objects given by box: each object's label must be one of the
/// protocol's structures, whose name and colour the object then takes.
public enum ProtocolPrompts {
    /// Names VoxSAM makes up for objects given without one (`object3`, `label2`): these are simply replaced.
    static func isGeneratedName(_ name: String) -> Bool {
        for prefix in ["object", "label"] where name.hasPrefix(prefix) {
            if Int(name.dropFirst(prefix.count)) != nil { return true }
        }
        return false
    }

    /// The objects with the protocol's names and colours. Throws when a label is not in the protocol,
    /// or an object's own name contradicts the protocol's name for its label.
    public static func apply(_ proto: SegmentationProtocol, to objects: [ObjectPrompt],
                             warn: (String) -> Void = { _ in }) throws -> [ObjectPrompt] {
        try objects.map { o in
            guard let s = proto.structure(label: o.label) else {
                let known = proto.structures.map { "\($0.label) \($0.name)" }.joined(separator: ", ")
                throw VoxSAMError(.invalidArgument,
                                  "object `\(o.name)` has label \(o.label), which protocol `\(proto.name)` does not define (it has \(known)); use one of its labels or names",
                                  path: proto.path)
            }
            if !isGeneratedName(o.name), BuiltinTerminology.normalise(o.name) != BuiltinTerminology.normalise(s.name) {
                throw VoxSAMError(.invalidArgument,
                                  "object `\(o.name)` has label \(o.label), which protocol `\(proto.name)` calls `\(s.name)`; give --name \(s.name), or the label of `\(o.name)`",
                                  path: proto.path)
            }
            if let c = o.color, c != s.color { warn("object `\(s.name)`: colour \(c.r),\(c.g),\(c.b) replaced by the protocol's \(s.color.r),\(s.color.g),\(s.color.b)") }
            var p = o
            p.name = s.name
            p.color = s.color
            return p
        }
    }
}
