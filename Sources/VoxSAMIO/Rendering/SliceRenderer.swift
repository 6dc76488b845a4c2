import VoxSAMCore

/// Pictures of slices: grey slices, coloured label overlays, montages with captions.
public enum SliceRenderer {
    /// Slice k of an 8-bit volume as a grey raster (i across, j down).
    public static func slice(_ volume8: Volume, k: Int) -> RasterImage {
        let w = volume8.size.x, h = volume8.size.y
        guard case .uint8(let a) = volume8.voxels else {
            preconditionFailure("SliceRenderer.slice needs a windowed (uint8) volume")
        }
        return RasterImage(width: w, height: h, channels: 1, pixels: Array(a[(k * w * h)..<((k + 1) * w * h)]))
    }

    /// Blends label colours over a grey slice (alpha inside, opaque outline on the boundary).
    /// `labels` holds one label value per pixel (0 = background).
    public static func overlay(_ grey: RasterImage, labels: [Int], colors: [Int: RGB], alpha: Double = 0.4) -> RasterImage {
        precondition(grey.channels == 1 && labels.count == grey.width * grey.height)
        let w = grey.width, h = grey.height
        var out = RasterImage(width: w, height: h, channels: 3)
        for y in 0..<h {
            for x in 0..<w {
                let n = y * w + x
                let g = grey.pixels[n]
                var (r, gg, b) = (Double(g), Double(g), Double(g))
                let l = labels[n]
                if l != 0 {
                    let c = colors[l] ?? RGB.forLabel(l)
                    let edge = x == 0 || y == 0 || x == w - 1 || y == h - 1 ||
                        labels[n - 1] != l || labels[n + 1] != l || labels[n - w] != l || labels[n + w] != l
                    let a = edge ? 1.0 : alpha
                    r = r * (1 - a) + Double(c.r) * a
                    gg = gg * (1 - a) + Double(c.g) * a
                    b = b * (1 - a) + Double(c.b) * a
                }
                out.pixels[n * 3] = UInt8(r.rounded()); out.pixels[n * 3 + 1] = UInt8(gg.rounded()); out.pixels[n * 3 + 2] = UInt8(b.rounded())
            }
        }
        return out
    }

    /// Grey → RGB.
    public static func rgb(_ grey: RasterImage) -> RasterImage {
        if grey.channels == 3 { return grey }
        var out = RasterImage(width: grey.width, height: grey.height, channels: 3)
        for n in 0..<grey.pixels.count { let v = grey.pixels[n]; out.pixels[n * 3] = v; out.pixels[n * 3 + 1] = v; out.pixels[n * 3 + 2] = v }
        return out
    }

    /// Tiles RGB images in a grid with a caption strip above each tile (lines split by "\n").
    public static func montage(_ tiles: [RasterImage], captions: [String] = [], columns: Int? = nil, gap: Int = 4) -> RasterImage {
        guard !tiles.isEmpty else { return RasterImage(width: 1, height: 1, channels: 3) }
        let cols = max(1, columns ?? Int(Double(tiles.count).squareRoot().rounded(.up)))
        let rows = (tiles.count + cols - 1) / cols
        let tw = tiles.map(\.width).max()!, th = tiles.map(\.height).max()!
        let scale = tw >= 400 ? 2 : 1
        let lines = max(1, captions.map { $0.split(separator: "\n").count }.max() ?? 0)
        let capH = captions.isEmpty ? 0 : lines * (BitmapFont.glyphHeight + 3) * scale + 4
        let W = cols * tw + (cols + 1) * gap, H = rows * (th + capH) + (rows + 1) * gap
        var out = RasterImage(width: W, height: H, channels: 3, pixels: [UInt8](repeating: 24, count: W * H * 3))
        for (n, t0) in tiles.enumerated() {
            let t = rgb(t0)
            let ox = gap + (n % cols) * (tw + gap), oy = gap + (n / cols) * (th + capH + gap)
            if n < captions.count {
                for (li, line) in captions[n].split(separator: "\n").enumerated() {
                    BitmapFont.draw(String(line), into: &out, x: ox + 2, y: oy + 2 + li * (BitmapFont.glyphHeight + 3) * scale,
                                    color: (235, 235, 235), scale: scale)
                }
            }
            for y in 0..<t.height {
                let src = y * t.width * 3, dst = ((oy + capH + y) * W + ox) * 3
                out.pixels.replaceSubrange(dst..<(dst + t.width * 3), with: t.pixels[src..<(src + t.width * 3)])
            }
        }
        return out
    }
}
