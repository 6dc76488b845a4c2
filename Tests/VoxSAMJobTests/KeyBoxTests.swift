import Foundation
import VoxSAMCore
import VoxSAMIO
import VoxSAMJob
import VoxSAMSegment
import XCTest

/// Key boxes as a user gives them (prompts JSON `key_boxes`, `--key-box NAME:k:x0,y0,x1,y1`) and the
/// one-line errors for bad ones, before any model work.
final class KeyBoxTests: XCTestCase {
    let size = SIMD3(100, 80, 20)
    var volume: Volume { Volume(geometry: Geometry(size: size), voxels: .uint8([UInt8](repeating: 0, count: size.x * size.y * size.z))) }

    func resolve(_ json: String, named: [String] = []) throws -> [ObjectPrompt] {
        let f = FileManager.default.temporaryDirectory.appendingPathComponent("voxsam-kb-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: f) }
        try Data(json.utf8).write(to: f)
        let specs = try ObjectSpec.load(promptsFile: f.path)
        return try PromptResolver(protocol: nil, origin: "p.json").resolve(specs, volume: volume, imagePath: "x.nii", axis: .k,
                                                                           named: try named.map(NamedKeyBox.parse))
    }

    func testKeyBoxesFromJSONAndCommandLine() throws {
        let p = try resolve(#"[{"name": "liver", "box": [10,10,2,60,50,12], "key_boxes": [{"slice": 4, "box": [12,12,40,40]}, {"box_mm": [20,20,9,30,35,9]}]}]"#,
                            named: ["liver:11:15,15,50,45"])
        XCTAssertEqual(p[0].keyBoxes, [KeyBox(slice: 4, box: [12, 12, 40, 40]), KeyBox(slice: 9, box: [20, 20, 30, 35]),
                                       KeyBox(slice: 11, box: [15, 15, 50, 45])])
        // Key boxes alone: the object covers them and starts from the one nearest the middle.
        let q = try resolve(#"[{"name": "lesion", "key_boxes": [{"slice": 3, "box": [10,10,20,20]}, {"slice": 9, "box": [12,8,30,22]}, {"slice": 7, "box": [11,9,25,21]}]}]"#)
        XCTAssertEqual(q[0].box.array, [10, 8, 3, 30, 22, 9])
        XCTAssertEqual(q[0].keySlice, 7)
        XCTAssertEqual(try NamedKeyBox.parse("a:b:5:1,2,3,4"), NamedKeyBox(object: "a:b", keyBox: KeyBox(slice: 5, box: [1, 2, 3, 4])))
    }

    func testBadKeyBoxesNameTheObjectAndSlice() throws {
        let object = #"{"name": "liver", "box": [10,10,2,60,50,12], "key_boxes": [%@]}"#
        let cases: [(String, String)] = [
            (#"{"slice": 25, "box": [12,12,40,40]}"#, "key box on slice 25: the slice lies outside the volume"),
            (#"{"slice": 15, "box": [12,12,40,40]}"#, "key box on slice 15: the slice lies outside the object's slice range"),
            (#"{"slice": 4, "box": [40,12,12,40]}"#, "key box on slice 4: box [40, 12, 12, 40] is inverted along x"),
            (#"{"slice": 4, "box": [12,12,12,40]}"#, "key box on slice 4: box [12, 12, 12, 40] is empty along x"),
            (#"{"slice": 4, "box": [12,12,40,90]}"#, "key box on slice 4: box [12, 12, 40, 90] lies outside the slice along y"),
            (#"{"slice": 4, "box": [12,12,40,40]}, {"slice": 4, "box": [13,13,41,41]}"#, "key box on slice 4: the object has two key boxes on this slice"),
        ]
        for (kb, message) in cases {
            XCTAssertThrowsError(try resolve("[" + object.replacingOccurrences(of: "%@", with: kb) + "]"), kb) { e in
                XCTAssertTrue("\(e)".contains("object `liver` (label 1)") && "\(e)".contains(message), "\(e)")
            }
        }
        XCTAssertThrowsError(try resolve(#"[{"name": "liver", "box": [10,10,2,60,50,12]}]"#, named: ["spleen:4:1,1,9,9"])) { e in
            XCTAssertTrue("\(e)".contains("--key-box spleen:4: there is no object named `spleen` (objects: liver)"), "\(e)")
        }
        for bad in ["liver:4", "liver:x:1,2,3,4", ":4:1,2,3,4", "liver:4:1,2,3"] {
            XCTAssertThrowsError(try NamedKeyBox.parse(bad), bad)
        }
        XCTAssertThrowsError(try resolve(#"[{"name": "liver", "box": [10,10,2,60,50,12], "key_boxes": [{"box": [1,2,3,4]}]}]"#)) { e in
            XCTAssertTrue("\(e)".contains("key_boxes[0].slice: is needed with box"), "\(e)")
        }
    }

    /// Millimetre corners far outside any volume are an error, never an Int conversion trap.
    func testAbsurdMillimetreBoxesAreErrorsNotTraps() throws {
        for json in [#"[{"name": "a", "box": [10,10,2,60,50,12], "key_boxes": [{"box_mm": [0,0,1e300,10,10,1e300]}]}]"#,
                     #"[{"name": "a", "key_boxes": [{"box_mm": [0,0,5e18,10,10,5e18]}]}]"#,
                     #"[{"name": "a", "box_mm": [1e300,0,0,1,1,1]}]"#] {
            XCTAssertThrowsError(try resolve(json), json) { e in
                XCTAssertTrue("\(e)".contains("lies far outside the volume"), "\(e)")
            }
        }
    }

    /// Key boxes of a box_mm object are checked along the slicing axis chosen, not always k.
    func testKeyBoxesFollowTheSlicingAxis() throws {
        let f = FileManager.default.temporaryDirectory.appendingPathComponent("voxsam-kb-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: f) }
        // Axis i: slices along x (0…99); in-plane x = j (0…79), y = k (0…19).
        try Data(#"[{"name": "a", "box_mm": [10,10,2,60,50,12], "key_boxes": [{"slice": 40, "box": [15,3,40,10]}]}]"#.utf8).write(to: f)
        let p = try PromptResolver(protocol: nil, origin: "p.json").resolve(try ObjectSpec.load(promptsFile: f.path), volume: volume,
                                                                            imagePath: "x.nii", axis: SliceAxis(0))
        XCTAssertEqual(p[0].keyBoxes, [KeyBox(slice: 40, box: [15, 3, 40, 10])])
    }
}
