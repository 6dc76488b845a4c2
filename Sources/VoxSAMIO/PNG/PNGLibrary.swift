import CPNG
import Foundation
import VoxSAMCore

/// An 8-bit raster image: grey (1 channel) or RGB (3 channels), rows top to bottom.
public struct RasterImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]? = nil) {
        precondition(channels == 1 || channels == 3)
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels ?? [UInt8](repeating: 0, count: width * height * channels)
        precondition(self.pixels.count == width * height * channels)
    }
}

/// PNG through libpng's simplified `png_image_*` API (the one file that crosses into libpng).
public enum PNGIO {
    private static let version = UInt32(PNG_IMAGE_VERSION)
    private static let formatGray: UInt32 = 0
    private static let formatRGB: UInt32 = 2  // PNG_FORMAT_FLAG_COLOR

    /// Reads a PNG as grey (`channels: 1`) or RGB (`channels: 3`); libpng converts colour types.
    public static func read(path: String, channels: Int = 1) throws -> RasterImage {
        guard FileManager.default.fileExists(atPath: path) else { throw VoxSAMError(.notFound, "no such file", path: path) }
        var image = png_image()
        image.version = version
        guard png_image_begin_read_from_file(&image, path) != 0 else {
            throw VoxSAMError(.corruptFile, "not a readable PNG: \(message(&image))", path: path)
        }
        image.format = channels == 1 ? formatGray : formatRGB
        let w = Int(image.width), h = Int(image.height)
        var pixels = [UInt8](repeating: 0, count: w * h * channels)
        let ok = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, Int32(w * channels), nil) }
        guard ok != 0 else {
            let m = message(&image)
            png_image_free(&image)
            throw VoxSAMError(.corruptFile, "the PNG data cannot be decoded: \(m)", path: path)
        }
        return RasterImage(width: w, height: h, channels: channels, pixels: pixels)
    }

    /// Writes atomically (temporary file, then rename).
    public static func write(_ raster: RasterImage, to path: String) throws {
        try AtomicWrite.write(to: path) { tmp in
            var image = png_image()
            image.version = version
            image.width = UInt32(raster.width)
            image.height = UInt32(raster.height)
            image.format = raster.channels == 1 ? formatGray : formatRGB
            // Encoded in memory, then written with every write checked (libpng's FILE* path does not
            // report a short write reliably).
            var size = 0
            let stride = Int32(raster.width * raster.channels)
            var ok = raster.pixels.withUnsafeBytes { png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, stride, nil) }
            var encoded = [UInt8](repeating: 0, count: max(size, 1))
            if ok != 0 {
                ok = encoded.withUnsafeMutableBytes { out in
                    raster.pixels.withUnsafeBytes { png_image_write_to_memory(&image, out.baseAddress, &size, 0, $0.baseAddress, stride, nil) }
                }
            }
            guard ok != 0 else {
                let m = message(&image)
                png_image_free(&image)
                throw VoxSAMError(.writeFailed, "libpng could not encode the PNG: \(m)", path: path)
            }
            try encoded.withUnsafeBytes { try FileOutput.write(UnsafeRawBufferPointer(rebasing: $0[0..<size]), to: tmp, destination: path) }
        }
    }

    private static func message(_ image: inout png_image) -> String {
        withUnsafeBytes(of: image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
