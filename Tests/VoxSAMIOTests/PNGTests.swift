import Foundation
import XCTest
import VoxSAMTestSupport
@testable import VoxSAMIO
import VoxSAMCore

final class PNGTests: XCTestCase {
    func testGreyAndRGBRoundTripAndMontage() throws {
        let dir = try TestData.temporaryFolder(self)
        let grey = RasterImage(width: 4, height: 3, channels: 1, pixels: (0..<12).map { UInt8($0 * 20) })
        try PNGIO.write(grey, to: dir.appendingPathComponent("g.png").path)
        XCTAssertEqual(try PNGIO.read(path: dir.appendingPathComponent("g.png").path), grey)
        let overlay = SliceRenderer.overlay(grey, labels: [0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 2, 0], colors: [1: RGB(255, 0, 0)])
        XCTAssertEqual(overlay.channels, 3)
        XCTAssertEqual(Array(overlay.pixels[3..<6]), [255, 0, 0])  // boundary pixel: opaque label colour
        let montage = SliceRenderer.montage([overlay, overlay, overlay], captions: ["LIVER 0.97", "Z=3", ""])
        try PNGIO.write(montage, to: dir.appendingPathComponent("m.png").path)
        let back = try PNGIO.read(path: dir.appendingPathComponent("m.png").path, channels: 3)
        XCTAssertEqual(back, montage)
        TestData.assertError(.writeFailed, mentioning: "does not exist") { try PNGIO.write(grey, to: dir.path + "/nope/x.png") }
        let notPNG = dir.appendingPathComponent("x.png").path
        try Data("no".utf8).write(to: URL(fileURLWithPath: notPNG))
        TestData.assertError(.corruptFile, mentioning: "PNG", path: notPNG) { _ = try PNGIO.read(path: notPNG) }
    }
}
