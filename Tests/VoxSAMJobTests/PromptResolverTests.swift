import Foundation
import VoxSAMCore
import VoxSAMIO
import VoxSAMJob
import VoxSAMProtocol
import XCTest

/// Every prompt kind through the one resolver: the prompts-file grammar, mm boxes, masks in another
/// axis order, protocol names and labels.
final class PromptResolverTests: XCTestCase {
    let size = SIMD3(100, 80, 20)

    func temporaryFolder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("voxsam-job-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    var volume: Volume { Volume(geometry: Geometry(size: size), voxels: .uint8([UInt8](repeating: 0, count: size.x * size.y * size.z))) }

    /// A mm box outside the volume whose RAS reading (x and y negated, as 3D Slicer shows coordinates)
    /// lies inside gets a hint; one outside either way does not.
    func testMillimetreBoxOutsideTheVolumeHintsAtRAS() throws {
        let resolver = PromptResolver(protocol: nil, origin: "--box-mm")
        XCTAssertThrowsError(try resolver.resolve([ObjectSpec(name: "liver", boxMM: [-40, -30, 2, -10, -5, 8])], volume: volume,
                                                  imagePath: "ct.nii.gz", axis: .k)) { e in
            XCTAssertTrue("\(e)".contains("lies outside the volume"), "\(e)")
            XCTAssertTrue("\(e)".contains("read as RAS"), "\(e)")
            XCTAssertTrue("\(e)".contains("40,30,2,10,5,8"), "the RAS reading is shown: \(e)")
        }
        XCTAssertThrowsError(try resolver.resolve([ObjectSpec(name: "far", boxMM: [500, 500, 2, 600, 600, 8])], volume: volume,
                                                  imagePath: "ct.nii.gz", axis: .k)) { e in
            XCTAssertFalse("\(e)".contains("RAS"), "\(e)")
        }
    }

    func testPromptsFileGrammarAndMillimetreBoxes() throws {
        let f = try temporaryFolder().appendingPathComponent("p.json")
        try Data(#"{"objects": [{"name": "liver", "label": 5, "box": [1,2,3,40,50,9], "color": [255,0,0]}, {"name": "x", "box_mm": [0,0,0,4,4,4]}]}"#.utf8).write(to: f)
        let specs = try ObjectSpec.load(promptsFile: f.path)
        let p = try PromptResolver(protocol: nil, origin: "p.json").resolve(specs, volume: volume, imagePath: "x.nii", axis: .k)
        XCTAssertEqual(p.map(\.label), [5, 2], "a label, else the object's position")
        XCTAssertEqual(p[0].color, RGB(255, 0, 0))
        XCTAssertEqual(p[1].box.array, [0, 0, 0, 4, 4, 4])
        for bad in [#"{"objects": [{"name": "bad"}]}"#, #"{"objects": [{"box": [1,2,3,4,5,6], "label": 0}]}"#,
                    #"{"objects": [{"box": [1,2,3,4,5,6], "colour": [1,2,3]}]}"#, #"[{"box": [1,2,3,4,5,6], "mask_label": 2}]"#] {
            try Data(bad.utf8).write(to: f)
            XCTAssertThrowsError(try ObjectSpec.load(promptsFile: f.path), bad) { e in
                XCTAssertTrue("\(e)".hasPrefix(f.path + ": objects[0]."), "names the file and the object: \(e)")
            }
        }
    }

    /// A mask in another axis order (as dcm2niix / nnU-Net write a series) gives the same boxes as the
    /// same mask on the image's grid.
    func testMaskInAnotherAxisOrderIsReindexed() throws {
        let dir = try temporaryFolder()
        var labels = [UInt8](repeating: 0, count: size.x * size.y * size.z)
        let g = Geometry(size: size, spacing: SIMD3(0.8, 0.8, 3))
        for k in 4...9 { for j in 10...30 { for i in 20...50 { labels[(k * size.y + j) * size.x + i] = 3 } } }
        let mask = Volume(geometry: g, voxels: .uint8(labels))
        // The same voxels stored with i running the other way (patient left to right).
        let flippedGrid = Geometry(size: size, affineLPS: [[-0.8, 0, 0, 0.8 * Double(size.x - 1)], [0, 0.8, 0, 0], [0, 0, 3, 0], [0, 0, 0, 1]])
        let flipped = mask.reindexed(onto: flippedGrid, mapping: try XCTUnwrap(flippedGrid.axisMapping(from: g, tolerance: 0.01)))
        XCTAssertNotEqual(flipped.voxels, mask.voxels)
        try VolumeWriter.write(flipped, to: dir.appendingPathComponent("m.nrrd").path)
        let image = Volume(geometry: g, voxels: .uint8(labels))
        let r = PromptResolver(protocol: nil, origin: "test", maskPath: { dir.appendingPathComponent($0).path })
        let p = try r.resolve([ObjectSpec(fromMask: "m.nrrd")], volume: image, imagePath: "x.nii", axis: .k)
        XCTAssertEqual(p.map(\.label), [3])
        XCTAssertEqual(p[0].box.array, [20, 10, 4, 50, 30, 9])
        // Named from the mask's own label description (ITK-SNAP file here; VoxSAM's .labels.json first).
        XCTAssertEqual(p[0].name, "label3")
        try Data("""
            ################################################
            # ITK-SnAP Label Description File
            ################################################
                0     0    0    0        0  0  0    "Clear Label"
                3   255    0    0        1  1  1    "liver"
            """.utf8).write(to: dir.appendingPathComponent("m.itksnap.txt"))
        let named = try r.resolve([ObjectSpec(fromMask: "m.nrrd")], volume: image, imagePath: "x.nii", axis: .k)
        XCTAssertEqual(named[0].name, "liver")
        XCTAssertEqual(try r.resolve([ObjectSpec(name: "mine", fromMask: "m.nrrd")], volume: image, imagePath: "x.nii", axis: .k)[0].name,
                       "mine", "a given name wins")
    }

    func testProtocolNamesPickLabels() throws {
        let proto = try SegmentationProtocol.parse("""
            name: t
            modality: CT
            structures:
              - {name: liver, label: 1}
              - {name: spleen, label: 7}
            """, path: "t.yaml")
        let p = try PromptResolver(protocol: proto, origin: "--box")
            .resolve([ObjectSpec(name: "spleen", box: [1, 1, 1, 9, 9, 5]), ObjectSpec(label: 1, box: [1, 1, 1, 9, 9, 5])], volume: volume, imagePath: "x.nii", axis: .k)
        XCTAssertEqual(p.map(\.label), [7, 1], "--name alone picks the protocol's label")
        XCTAssertEqual(p.map(\.name), ["spleen", "liver"], "a label alone takes the protocol's name")
    }
}
