/// The arithmetic of LiteMedSAM's image encoder (`--precision`, the model's `precision:`).
///
/// * `fp32`: everything in float32 (the reference).
/// * `int8`: the encoder's GEMMs (nn.Linear, 1x1 convolutions, the neck's 3x3 convolution) with int8
///   weights (per output channel) and int8 activations (per row, with zero point), int32 sums; the
///   rest of the encoder (LayerNorm, softmax, GELU, depthwise convolutions, attention) and the whole
///   prompt encoder and mask decoder stay float32. Fast with AVX-512 VNNI; elsewhere a portable path
///   gives the same numbers, slower than `fp32`.
/// * `bf16`: reserved for bfloat16 encoder GEMMs on CPUs with AMX-BF16; not implemented yet (a model
///   asked for it refuses to load, see `resolved(for:)`).
/// * `auto`: the fastest precision that keeps the fp32 segmentations (Dice >= 0.99 per object on the
///   reference 3D cases): `fp32` for now, because int8 does not meet that bar yet (see
///   `autoChoosesInt8`); once it does, `int8` where the CPU has AVX-512 VNNI, else `fp32`.
public enum Precision: String, Codable, CaseIterable, Sendable, CustomStringConvertible {
    case fp32, int8, bf16, auto

    /// What a CPU offers that the precisions need (the model module reads it from the CPU).
    public struct CPUSupport: Sendable, Equatable {
        /// AVX-512 VNNI (with F, BW, VL, DQ): the int8 micro-kernel.
        public var int8VNNI: Bool
        /// AMX-BF16 tiles (the only place a bf16 encoder would pay).
        public var amxBF16: Bool

        public init(int8VNNI: Bool, amxBF16: Bool) {
            self.int8VNNI = int8VNNI
            self.amxBF16 = amxBF16
        }
    }

    /// Whether `auto` picks int8 on a CPU with VNNI. False: the int8 encoder (every encoder GEMM, or
    /// only the transformer and neck GEMMs) changes 3D propagated segmentations by more than the
    /// Dice >= 0.99 per object asked of it (measured worst 0.66 ... 0.74, Int8DiceTests), so int8 is
    /// only run when asked for by name.
    public static let autoChoosesInt8 = false

    /// Parses `fp32`, `int8`, `bf16`, `auto` (case-insensitive; `float32` and `f32` are accepted for
    /// fp32); the error says what is accepted (no path: callers add it).
    public static func parse(_ text: String) throws -> Precision {
        let t = text.lowercased().trimmingCharacters(in: .whitespaces)
        if let p = Precision(rawValue: t) { return p }
        if t == "float32" || t == "f32" { return .fp32 }
        throw VoxSAMError(.invalidArgument, "`\(text)` is not a precision: use \(allCases.map(\.rawValue).joined(separator: ", ")) (auto picks for this CPU)")
    }

    /// The precision that actually runs on a CPU with `cpu`: `auto` becomes `int8` with VNNI when
    /// `autoChoosesInt8`, else `fp32`; `fp32` and `int8` stay (int8 without VNNI runs the exact portable kernels: same
    /// results, slower). `bf16` throws: without AMX-BF16 it would be slower than fp32, and the bf16
    /// kernels are not implemented yet.
    public func resolved(for cpu: CPUSupport) throws -> Precision {
        switch self {
        case .fp32, .int8: return self
        case .auto: return Self.autoChoosesInt8 && cpu.int8VNNI ? .int8 : .fp32
        case .bf16:
            if !cpu.amxBF16 {
                throw VoxSAMError(.invalidArgument, "precision bf16 needs a CPU with AMX-BF16, which this one does not report: use fp32, int8 or auto")
            }
            throw VoxSAMError(.invalidArgument, "precision bf16 is not implemented yet: use fp32, int8 or auto")
        }
    }

    public var description: String { rawValue }
}
