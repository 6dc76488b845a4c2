import Foundation
import VoxSAMCore

/// sRGB → CIE L*a*b* (D65) in DICOM's scaled encoding (RecommendedDisplayCIELabValue: L* 0…100,
/// a* and b* −128…127 mapped linearly onto 0…65535), as PS3.3 C.10.7.1.1 defines it.
public enum CIELab {
    public static func dicom(_ c: RGB) -> [UInt16] {
        func linear(_ v: UInt8) -> Double {
            let s = Double(v) / 255
            return s <= 0.04045 ? s / 12.92 : pow((s + 0.055) / 1.055, 2.4)
        }
        let r = linear(c.r), g = linear(c.g), b = linear(c.b)
        let x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / 0.95047
        let y = (0.2126729 * r + 0.7151522 * g + 0.0721750 * b) / 1.0
        let z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / 1.08883
        func f(_ t: Double) -> Double { t > 216.0 / 24389 ? cbrt(t) : (24389.0 / 27 * t + 16) / 116 }
        let L = 116 * f(y) - 16, A = 500 * (f(x) - f(y)), B = 200 * (f(y) - f(z))
        func scale(_ v: Double, _ lo: Double, _ hi: Double) -> UInt16 {
            UInt16(max(0, min(65535, ((v - lo) / (hi - lo) * 65535).rounded())))
        }
        return [scale(L, 0, 100), scale(A, -128, 127), scale(B, -128, 127)]
    }
}
