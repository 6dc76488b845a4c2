import ArgumentParser
import Foundation
import VoxSAMCore
import VoxSAMIO
import VoxSAMModel

/// `voxsam predict IMAGE --box x0,y0,x1,y1 --output mask.png`: one 2D image, one box.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Segment one 2D image (PNG, or a single-slice DICOM/NIfTI/NRRD) inside a box; prints the predicted IoU.",
        discussion: """
        Example:
          voxsam predict slice.png --box 107,196,269,374 -o mask.png
        """)

    @Argument(help: "A greyscale PNG (colour PNGs are converted to grey), or a volume with one slice.")
    var image: String

    @Option(name: .long, help: "Box x0,y0,x1,y1 in pixels (0-based, inclusive; x = column, y = row).")
    var box: String

    @Option(name: .shortAndLong, help: "Mask PNG to write (0 / 255).")
    var output: String

    @Option(name: .long, help: "Window for non-PNG inputs (see `voxsam segment --help`).")
    var window: String?

    @OptionGroup var modelOptions: ModelOptions

    @Flag(name: .long, help: "Print JSON (iou, mask area, box used).")
    var json = false

    func run() throws {
        guard output.lowercased().hasSuffix(".png") else { throw VoxSAMError(.invalidArgument, "--output must end in .png", path: output) }
        try AtomicWrite.checkDestination(output)
        let parts = box.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 4 else { throw VoxSAMError(.invalidArgument, "--box must be four integers x0,y0,x1,y1") }
        let (pixels, h, w) = try loadSlice()
        guard parts[0] < parts[2], parts[1] < parts[3], parts[0] >= 0, parts[1] >= 0, parts[2] < w, parts[3] < h else {
            throw VoxSAMError(.invalidArgument, "--box \(box) must satisfy 0 <= x0 < x1 < \(w) and 0 <= y0 < y1 < \(h)", path: image)
        }
        let (model, _) = try modelOptions.load(precision: try modelOptions.requestedPrecision() ?? .fp32)
        let pre = Preprocessor()
        let e = model.encode(pre(pixels, height: h, width: w))
        let b256 = pre.box256(fromOriginal: SIMD4(parts[0], parts[1], parts[2], parts[3]), height: h, width: w)
        let p = model.decode(e, box256: b256)
        let mask = Postprocessor.mask(p, embedding: e, value: 255)
        try PNGIO.write(RasterImage(width: w, height: h, channels: 1, pixels: mask), to: output)
        let area = mask.reduce(0) { $0 + ($1 > 0 ? 1 : 0) }
        if json {
            struct Out: Encodable { var iou: Float; var mask_area_px: Int; var box_256: [Float]; var output: String }
            print(try JSONOutput.string(Out(iou: p.iou[0], mask_area_px: area, box_256: [b256[0], b256[1], b256[2], b256[3]], output: output)))
        } else {
            print(String(format: "IoU %.4f, %d pixels, wrote %@", p.iou[0], area, output))
        }
    }

    func loadSlice() throws -> ([UInt8], Int, Int) {
        if image.lowercased().hasSuffix(".png") {
            let r = try PNGIO.read(path: image, channels: 1)
            return (r.pixels, r.height, r.width)
        }
        let v = try VolumeReader.read(path: image)
        guard v.size.z == 1 else {
            throw VoxSAMError(.invalidArgument, "the image has \(v.size.z) slices; `predict` takes one slice (use `voxsam segment` for volumes)", path: image)
        }
        let w = try window.map(Window.parse) ?? Window.defaultWindow(for: v)
        guard case .uint8(let a) = Windowing.apply(w, to: v).voxels else { throw VoxSAMError(.internal, "windowing failed") }
        return (a, v.size.y, v.size.x)
    }
}
