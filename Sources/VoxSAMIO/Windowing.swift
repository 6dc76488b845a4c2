import Foundation
import VoxSAMCore

/// Converts a volume to 8-bit exactly as the reference conversion does:
/// clip to [lo, hi], then `(v - min) / (max - min) * 255` over the whole clipped volume, truncated
/// to uint8. For percentile windows, voxels that were 0 stay 0.
public enum Windowing {
    /// The clip range [lo, hi] a window selects on this volume.
    public static func range(_ window: Window, volume: Volume) -> (lo: Double, hi: Double)? {
        switch window {
        case .widthLevel(let w, let l): return (l - w / 2, l + w / 2)
        case .percentile(let plo, let phi): return percentileRange(volume.voxels, low: plo, high: phi)
        case .dicom(let fallback):
            if let c = volume.metadata.windowCenter, let w = volume.metadata.windowWidth, w > 0 { return (c - w / 2, c + w / 2) }
            return range(fallback, volume: volume)
        case .none: return nil
        }
    }

    /// NumPy-style linear-interpolated percentiles of the voxels > 0.
    static func percentileRange(_ v: VoxelBuffer, low: Double, high: Double) -> (Double, Double)? {
        var values = [Double]()
        values.reserveCapacity(v.count / 2)
        for n in 0..<v.count { let x = v[n]; if x > 0 { values.append(x) } }
        guard !values.isEmpty else { return nil }
        values.sort()
        func q(_ p: Double) -> Double {
            let pos = p / 100 * Double(values.count - 1)
            let i = Int(pos.rounded(.down)), f = pos - Double(i)
            return i + 1 < values.count ? values[i] + (values[i + 1] - values[i]) * f : values[i]
        }
        return (q(low), q(high))
    }

    /// The whole volume as uint8 (same geometry), per the reference procedure.
    public static func apply(_ window: Window, to volume: Volume) -> Volume {
        var md = volume.metadata
        md.warnings = []
        guard let (lo, hi) = range(window, volume: volume) else {
            // `.none` or an empty percentile set: clamp/copy to 0…255.
            if case .uint8(let a) = volume.voxels { return Volume(geometry: volume.geometry, voxels: .uint8(a), metadata: md) }
            let n = volume.voxels.count
            let out = [UInt8](unsafeUninitializedCapacity: n) { o, c in
                for k in 0..<n { o[k] = UInt8(max(0, min(255, volume.voxels[k]))) }
                c = n
            }
            return Volume(geometry: volume.geometry, voxels: .uint8(out), metadata: md)
        }
        let keepZero: Bool
        if case .percentile = window { keepZero = true } else { keepZero = false }
        let n = volume.voxels.count
        // Clip, then min-max over the clipped volume.
        var cmin = Double.infinity, cmax = -Double.infinity
        for k in 0..<n {
            let c = min(max(volume.voxels[k], lo), hi)
            if c < cmin { cmin = c }
            if c > cmax { cmax = c }
        }
        let denom = cmax - cmin
        let out = [UInt8](unsafeUninitializedCapacity: n) { o, c in
            for k in 0..<n {
                let v = volume.voxels[k]
                if keepZero && v == 0 { o[k] = 0; continue }
                let clipped = min(max(v, lo), hi)
                // Same operation order as the reference (NumPy, float64), then truncation.
                let scaled = denom > 0 ? (clipped - cmin) / denom * 255.0 : 0
                o[k] = UInt8(max(0, min(255, scaled.rounded(.towardZero))))
            }
            c = n
        }
        return Volume(geometry: volume.geometry, voxels: .uint8(out), metadata: md)
    }
}
