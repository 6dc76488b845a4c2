/// An RGB colour.
public struct RGB: Sendable, Equatable, Codable {
    public var r: UInt8, g: UInt8, b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }

    /// A distinct colour for label `n` (used when a protocol gives none).
    public static func forLabel(_ n: Int) -> RGB {
        let table: [RGB] = [RGB(230, 25, 75), RGB(60, 180, 75), RGB(255, 225, 25), RGB(0, 130, 200), RGB(245, 130, 48),
                            RGB(145, 30, 180), RGB(70, 240, 240), RGB(240, 50, 230), RGB(210, 245, 60), RGB(250, 190, 212),
                            RGB(0, 128, 128), RGB(220, 190, 255), RGB(170, 110, 40), RGB(128, 0, 0), RGB(170, 255, 195)]
        return table[(max(n, 1) - 1) % table.count]
    }
}
