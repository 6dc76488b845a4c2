#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A 64-byte aligned float array that owns its memory (weights, activations, workspaces).
/// Not thread-safe by itself; the model serialises access.
final class FloatBuffer: @unchecked Sendable {
    let p: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int, zeroed: Bool = false) {
        self.count = max(count, 1)
        var raw: UnsafeMutableRawPointer?
        let rc = posix_memalign(&raw, 64, self.count * MemoryLayout<Float>.stride)
        precondition(rc == 0 && raw != nil, "out of memory allocating \(count) floats")
        p = raw!.bindMemory(to: Float.self, capacity: self.count)
        if zeroed { p.initialize(repeating: 0, count: self.count) }
    }

    convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { src in
            p.update(from: src.baseAddress!, count: values.count)
        }
    }

    deinit { free(p) }

    var array: [Float] { Array(UnsafeBufferPointer(start: p, count: count)) }
}

/// Named scratch buffers that grow to the largest size ever requested and are then reused: the
/// encoder and decoder allocate nothing per call once warmed up.
final class Workspace: @unchecked Sendable {
    private var buffers: [String: FloatBuffer] = [:]
    /// How the layers that get this workspace split their work (the model's thread count).
    let par: Parallel

    init(_ par: Parallel) { self.par = par }

    func get(_ name: String, _ count: Int) -> UnsafeMutablePointer<Float> {
        if let b = buffers[name], b.count >= count { return b.p }
        let b = FloatBuffer(count: count)
        buffers[name] = b
        return b.p
    }

    var totalBytes: Int { buffers.values.reduce(0) { $0 + $1.count * 4 } }
    func release() { buffers.removeAll() }
}
