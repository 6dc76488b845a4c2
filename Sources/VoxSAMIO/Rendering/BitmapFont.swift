/// A 5×7 bitmap font (ASCII, upper-case glyphs) for captions in QA pictures — no font files needed.
enum BitmapFont {
    static let glyphWidth = 5, glyphHeight = 7

    /// Each glyph: 7 rows, 5 bits per row (bit 4 = leftmost column).
    static let glyphs: [Character: [UInt8]] = [
        "A": [14, 17, 17, 31, 17, 17, 17], "B": [30, 17, 17, 30, 17, 17, 30], "C": [14, 17, 16, 16, 16, 17, 14],
        "D": [30, 17, 17, 17, 17, 17, 30], "E": [31, 16, 16, 30, 16, 16, 31], "F": [31, 16, 16, 30, 16, 16, 16],
        "G": [14, 17, 16, 23, 17, 17, 15], "H": [17, 17, 17, 31, 17, 17, 17], "I": [14, 4, 4, 4, 4, 4, 14],
        "J": [7, 2, 2, 2, 2, 18, 12], "K": [17, 18, 20, 24, 20, 18, 17], "L": [16, 16, 16, 16, 16, 16, 31],
        "M": [17, 27, 21, 21, 17, 17, 17], "N": [17, 17, 25, 21, 19, 17, 17], "O": [14, 17, 17, 17, 17, 17, 14],
        "P": [30, 17, 17, 30, 16, 16, 16], "Q": [14, 17, 17, 17, 21, 18, 13], "R": [30, 17, 17, 30, 20, 18, 17],
        "S": [15, 16, 16, 14, 1, 1, 30], "T": [31, 4, 4, 4, 4, 4, 4], "U": [17, 17, 17, 17, 17, 17, 14],
        "V": [17, 17, 17, 17, 17, 10, 4], "W": [17, 17, 17, 21, 21, 21, 10], "X": [17, 17, 10, 4, 10, 17, 17],
        "Y": [17, 17, 10, 4, 4, 4, 4], "Z": [31, 1, 2, 4, 8, 16, 31],
        "0": [14, 17, 19, 21, 25, 17, 14], "1": [4, 12, 4, 4, 4, 4, 14], "2": [14, 17, 1, 2, 4, 8, 31],
        "3": [31, 2, 4, 2, 1, 17, 14], "4": [2, 6, 10, 18, 31, 2, 2], "5": [31, 16, 30, 1, 1, 17, 14],
        "6": [6, 8, 16, 30, 17, 17, 14], "7": [31, 1, 2, 4, 8, 8, 8], "8": [14, 17, 17, 14, 17, 17, 14],
        "9": [14, 17, 17, 15, 1, 2, 12],
        " ": [0, 0, 0, 0, 0, 0, 0], ".": [0, 0, 0, 0, 0, 12, 12], ",": [0, 0, 0, 0, 12, 4, 8],
        ":": [0, 12, 12, 0, 12, 12, 0], "%": [24, 25, 2, 4, 8, 19, 3], "=": [0, 0, 31, 0, 31, 0, 0],
        "-": [0, 0, 0, 31, 0, 0, 0], "_": [0, 0, 0, 0, 0, 0, 31], "/": [0, 1, 2, 4, 8, 16, 0],
        "(": [2, 4, 8, 8, 8, 4, 2], ")": [8, 4, 2, 2, 2, 4, 8], "#": [10, 10, 31, 10, 31, 10, 10],
        "+": [0, 4, 4, 31, 4, 4, 0], "<": [2, 4, 8, 16, 8, 4, 2], ">": [8, 4, 2, 1, 2, 4, 8],
        "?": [14, 17, 1, 2, 4, 0, 4], "!": [4, 4, 4, 4, 4, 0, 4], "'": [4, 4, 8, 0, 0, 0, 0],
    ]

    /// Width in pixels of `text` at `scale` (1 px gap between glyphs).
    static func width(_ text: String, scale: Int = 1) -> Int { text.count * (glyphWidth + 1) * scale }

    /// Draws `text` into an RGB raster at (x, y) (top-left), clipped to the raster.
    static func draw(_ text: String, into r: inout RasterImage, x: Int, y: Int, color: (UInt8, UInt8, UInt8), scale: Int = 1) {
        precondition(r.channels == 3)
        var cx = x
        for ch in text.uppercased() {
            let g = glyphs[ch] ?? glyphs["?"]!
            for (row, bits) in g.enumerated() {
                for col in 0..<glyphWidth where bits & (1 << (glyphWidth - 1 - col)) != 0 {
                    for sy in 0..<scale {
                        for sx in 0..<scale {
                            let px = cx + col * scale + sx, py = y + row * scale + sy
                            guard px >= 0, py >= 0, px < r.width, py < r.height else { continue }
                            let o = (py * r.width + px) * 3
                            r.pixels[o] = color.0; r.pixels[o + 1] = color.1; r.pixels[o + 2] = color.2
                        }
                    }
                }
            }
            cx += (glyphWidth + 1) * scale
        }
    }
}
