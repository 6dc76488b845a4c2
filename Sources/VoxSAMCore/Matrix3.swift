/// A 3×3 matrix of doubles stored by columns.
///
/// For a volume's `direction`, column 0/1/2 is the unit direction of the i/j/k index axis in
/// LPS patient coordinates (the ITK convention).
public struct Matrix3: Equatable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var columns: (SIMD3<Double>, SIMD3<Double>, SIMD3<Double>)

    public init(columns c0: SIMD3<Double>, _ c1: SIMD3<Double>, _ c2: SIMD3<Double>) {
        columns = (c0, c1, c2)
    }

    /// Row-major initialiser: `rows[r][c]`.
    public init(rows: [[Double]]) {
        precondition(rows.count == 3 && rows.allSatisfy { $0.count == 3 })
        columns = (SIMD3(rows[0][0], rows[1][0], rows[2][0]),
                   SIMD3(rows[0][1], rows[1][1], rows[2][1]),
                   SIMD3(rows[0][2], rows[1][2], rows[2][2]))
    }

    public static let identity = Matrix3(columns: SIMD3(1, 0, 0), SIMD3(0, 1, 0), SIMD3(0, 0, 1))

    public subscript(column c: Int) -> SIMD3<Double> {
        get { c == 0 ? columns.0 : c == 1 ? columns.1 : columns.2 }
        set {
            switch c {
            case 0: columns.0 = newValue
            case 1: columns.1 = newValue
            default: columns.2 = newValue
            }
        }
    }

    /// Element at row `r`, column `c`.
    public subscript(r: Int, c: Int) -> Double {
        get { self[column: c][r] }
        set { var col = self[column: c]; col[r] = newValue; self[column: c] = col }
    }

    public var rows: [[Double]] { (0..<3).map { r in (0..<3).map { c in self[r, c] } } }

    public static func * (m: Matrix3, v: SIMD3<Double>) -> SIMD3<Double> {
        m.columns.0 * v.x + m.columns.1 * v.y + m.columns.2 * v.z
    }

    public static func * (a: Matrix3, b: Matrix3) -> Matrix3 {
        Matrix3(columns: a * b.columns.0, a * b.columns.1, a * b.columns.2)
    }

    public var transposed: Matrix3 { Matrix3(rows: (0..<3).map { c in (0..<3).map { r in self[r, c] } }) }

    public var determinant: Double {
        let (a, b, c) = columns
        return a.x * (b.y * c.z - b.z * c.y) - b.x * (a.y * c.z - a.z * c.y) + c.x * (a.y * b.z - a.z * b.y)
    }

    /// The inverse (nil when singular).
    public var inverse: Matrix3? {
        let det = determinant
        guard abs(det) > 1e-300 else { return nil }
        let m = rows
        func cof(_ r: Int, _ c: Int) -> Double {
            let r0 = (r + 1) % 3, r1 = (r + 2) % 3, c0 = (c + 1) % 3, c1 = (c + 2) % 3
            return m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0]
        }
        // inverse[r][c] = cof(c, r) / det
        return Matrix3(rows: (0..<3).map { r in (0..<3).map { c in cof(c, r) / det } })
    }

    public func isApproximatelyEqual(to other: Matrix3, tolerance: Double) -> Bool {
        (0..<3).allSatisfy { c in
            let d = self[column: c] - other[column: c]
            return abs(d.x) <= tolerance && abs(d.y) <= tolerance && abs(d.z) <= tolerance
        }
    }

    public static func == (a: Matrix3, b: Matrix3) -> Bool {
        a.columns.0 == b.columns.0 && a.columns.1 == b.columns.1 && a.columns.2 == b.columns.2
    }

    public func hash(into h: inout Hasher) {
        h.combine(columns.0); h.combine(columns.1); h.combine(columns.2)
    }

    public init(from decoder: Decoder) throws {
        let rows = try [[Double]](from: decoder)
        guard rows.count == 3, rows.allSatisfy({ $0.count == 3 }) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "expected 3x3 rows"))
        }
        self.init(rows: rows)
    }

    public func encode(to encoder: Encoder) throws { try rows.encode(to: encoder) }

    public var description: String { rows.description }
}
