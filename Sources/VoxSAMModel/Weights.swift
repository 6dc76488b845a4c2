import Foundation
import VoxSAMCore

/// Where the model's parameters come from: a strict, consuming view of a state dict. Every key
/// must be taken exactly once with its expected shape, and `finish()` rejects leftovers.
public protocol WeightSource: AnyObject {
    func take(_ key: String, shape: [Int]) throws -> [Float]
    func skip(_ key: String) throws
    func finish() throws
}

/// A folder of raw little-endian float32 tensors (`<key>.bin`) listed in `index.txt`
/// (`key<TAB>d0,d1,...<TAB>dtype` per line) — a debugging format; checkpoints are `.pth`.
public final class DirectoryWeightSource: WeightSource {
    public let path: String
    private var entries: [String: ([Int], String)] = [:]
    private var order: [String] = []
    private var taken = Set<String>()

    public init(path: String) throws {
        self.path = path
        let index = (path as NSString).appendingPathComponent("index.txt")
        guard let text = try? String(contentsOfFile: index, encoding: .utf8) else {
            throw VoxSAMError(.notFound, "no index.txt in weight folder", path: path)
        }
        for line in text.split(separator: "\n") {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard f.count == 3 else { continue }
            let shape = f[1].isEmpty ? [] : f[1].split(separator: ",").map { Int($0)! }
            entries[String(f[0])] = (shape, String(f[2]))
            order.append(String(f[0]))
        }
    }

    public func take(_ key: String, shape: [Int]) throws -> [Float] {
        guard let (s, dtype) = entries[key] else {
            throw VoxSAMError(.model, "checkpoint has no tensor '\(key)'", path: path)
        }
        guard s == shape, dtype == "float32" else {
            throw VoxSAMError(.model, "tensor '\(key)' has shape \(s) \(dtype), expected \(shape) float32", path: path)
        }
        taken.insert(key)
        let file = (path as NSString).appendingPathComponent(key + ".bin")
        let data = try Data(contentsOf: URL(fileURLWithPath: file))
        let n = shape.reduce(1, *)
        guard data.count == n * 4 else { throw VoxSAMError(.corruptFile, "tensor '\(key)' truncated", path: file) }
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    public func skip(_ key: String) throws {
        guard entries[key] != nil else { throw VoxSAMError(.model, "checkpoint has no tensor '\(key)'", path: path) }
        taken.insert(key)
    }

    public func finish() throws {
        let left = order.filter { !taken.contains($0) }
        if !left.isEmpty {
            throw VoxSAMError(.model, "checkpoint has \(left.count) unexpected tensors (first: \(left[0]))", path: path)
        }
    }
}

/// Helpers that turn PyTorch parameters into the layouts the kernels want.
struct Loader {
    let source: WeightSource

    func take(_ key: String, _ shape: [Int]) throws -> [Float] { try source.take(key, shape: shape) }
    func buffer(_ key: String, _ shape: [Int]) throws -> FloatBuffer { FloatBuffer(try take(key, shape)) }

    /// Conv2d (no bias) followed by BatchNorm2d (eval), folded into one conv with bias:
    /// w' = w * g / sqrt(var + eps), b' = beta - mean * g / sqrt(var + eps).
    /// Returns the folded weight in PyTorch layout [cout][cin/groups][k][k] and the bias.
    func convBN(_ prefix: String, cout: Int, cinPerGroup: Int, k: Int, eps: Float) throws -> ([Float], [Float]) {
        var w = try take(prefix + ".c.weight", [cout, cinPerGroup, k, k])
        let g = try take(prefix + ".bn.weight", [cout])
        let b = try take(prefix + ".bn.bias", [cout])
        let m = try take(prefix + ".bn.running_mean", [cout])
        let v = try take(prefix + ".bn.running_var", [cout])
        try source.skip(prefix + ".bn.num_batches_tracked")
        let per = cinPerGroup * k * k
        var bias = [Float](repeating: 0, count: cout)
        for o in 0..<cout {
            // Same operation order as TinyViT's Conv2d_BN.fuse().
            let s = g[o] / (v[o] + eps).squareRoot()
            for i in 0..<per { w[o * per + i] *= s }
            bias[o] = b[o] - m[o] * g[o] / (v[o] + eps).squareRoot()
        }
        return (w, bias)
    }
}

/// Rearranges a depthwise 3x3 weight [C][1][3][3] to tap-major [9][C].
func depthwiseTapMajor(_ w: [Float], channels c: Int) -> [Float] {
    var out = [Float](repeating: 0, count: 9 * c)
    for ch in 0..<c { for t in 0..<9 { out[t * c + ch] = w[ch * 9 + t] } }
    return out
}
