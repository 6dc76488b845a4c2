import Foundation
import VoxSAMCore
import XCTest

/// The shared vocabulary: one table of output formats, one check per label value, the window and
/// axis grammars round-tripping through their Codable text.
final class VocabularyTests: XCTestCase {
    func testOneOutputFormatTable() throws {
        let cases: [(String, OutputFormat?)] = [
            ("a.nii.gz", .nifti), ("a.NII", .nifti), ("a.hdr", .nifti), ("a.nrrd", .nrrd), ("a.nhdr", .nrrd),
            ("a.seg.nrrd", .segNRRD), ("a.npz", .npz), ("a.dcm", .dicomSEG), ("a.png", nil), (".nii", nil),
        ]
        for (path, f) in cases { XCTAssertEqual(OutputFormat.implied(by: path), f, path) }
        // `.hdr` is a label-map output for every command: segment/export (resolve) and convert (volume).
        XCTAssertEqual(try OutputFormat.resolve(nil, output: "x.hdr"), .nifti)
        XCTAssertEqual(try OutputFormat.resolve("nifti", output: "x.hdr"), .nifti)
        XCTAssertEqual(try OutputFormat.volume(for: "x.hdr"), .nifti)
        XCTAssertEqual(try OutputFormat.resolve("rtstruct", output: "x.dcm"), .rtstruct)
        XCTAssertThrowsError(try OutputFormat.resolve("nrrd", output: "x.seg.nrrd"))
        XCTAssertThrowsError(try OutputFormat.resolve(nil, output: "x.tif")) { e in
            XCTAssertTrue("\(e)".contains(".hdr"), "the message lists every ending: \(e)")
        }
        XCTAssertThrowsError(try OutputFormat.volume(for: "x.dcm"))
        XCTAssertEqual(OutputFormat.nifti.companions(of: "/o/m.hdr", labelSidecars: true), ["/o/m.img", "/o/m.labels.json", "/o/m.itksnap.txt"])
        XCTAssertEqual(OutputFormat.npz.companions(of: "/o/m.npz", labelSidecars: true), [])
        XCTAssertEqual(OutputFormat.sidecarPaths(besides: "rel/a.seg.nrrd").json, "rel/a.labels.json")
        // Batch outputs are the label-map formats plus the reports, each with its file name.
        XCTAssertEqual(StudyOutput.allCases.compactMap(\.labelMapFormat), OutputFormat.allCases)
        XCTAssertEqual(try StudyOutput.parse("seg-nrrd").fileName, "labels.seg.nrrd")
        XCTAssertThrowsError(try StudyOutput.parse("tiff"))
        let encoded = try JSONEncoder().encode([StudyOutput.labelMap(.dicomSEG), .qaPNG])
        XCTAssertEqual(String(decoding: encoded, as: UTF8.self), #"["dicom-seg","qa-png"]"#)
        XCTAssertEqual(try JSONDecoder().decode([StudyOutput].self, from: encoded), [.labelMap(.dicomSEG), .qaPNG])
    }

    func testLabelValueIsOneCheckWithOneMessage() throws {
        XCTAssertEqual(try LabelValue.check(1, "x"), 1)
        XCTAssertEqual(try LabelValue.check(65535, "x"), 65535)
        for bad in [0, -1, 65536] {
            XCTAssertThrowsError(try LabelValue.check(bad, "object `liver`")) { e in
                XCTAssertEqual("\(e)", "object `liver`: \(bad) is not a label value (1…65535; 0 is the background)")
            }
        }
        XCTAssertTrue(LabelValue.isVoxel(0) && LabelValue.isVoxel(7) && !LabelValue.isVoxel(1.5) && !LabelValue.isVoxel(-2) && !LabelValue.isVoxel(70000))
    }

    func testWindowAndAxisRoundTripThroughTheirText() throws {
        for t in Window.presetNames + ["400,40", "p1,99", "1500,-600", "p0.5,99.5"] {
            let w = try Window.parse(t)
            XCTAssertEqual(try Window.parse(w.text), w, t)
            XCTAssertEqual(try JSONDecoder().decode(Window.self, from: JSONEncoder().encode(w)), w, t)
        }
        for a in ["i", "j", "k"] {
            let axis = try SliceAxis.parse(a)
            XCTAssertEqual(axis.name, a)
            XCTAssertEqual(try JSONDecoder().decode(SliceAxis.self, from: JSONEncoder().encode(axis)), axis)
        }
        XCTAssertThrowsError(try SliceAxis.parse("w"))
        XCTAssertThrowsError(try PropagationMode.parse("sideways"))
    }

    func testPrecisionParseAndResolve() throws {
        for p in Precision.allCases { XCTAssertEqual(try Precision.parse(p.rawValue.uppercased()), p) }
        XCTAssertEqual(try Precision.parse(" float32 "), .fp32)
        XCTAssertThrowsError(try Precision.parse("int4")) { e in
            XCTAssertEqual((e as? VoxSAMError)?.code, .invalidArgument)
            XCTAssertTrue("\(e)".contains("fp32, int8, bf16, auto"), "\(e)")
        }
        let vnni = Precision.CPUSupport(int8VNNI: true, amxBF16: false)
        let plain = Precision.CPUSupport(int8VNNI: false, amxBF16: false)
        let amx = Precision.CPUSupport(int8VNNI: true, amxBF16: true)
        XCTAssertEqual(try Precision.auto.resolved(for: vnni), Precision.autoChoosesInt8 ? .int8 : .fp32)
        XCTAssertEqual(try Precision.auto.resolved(for: plain), .fp32)
        XCTAssertEqual(try Precision.auto.resolved(for: amx), Precision.autoChoosesInt8 ? .int8 : .fp32)  // no bf16 kernels
        XCTAssertEqual(try Precision.int8.resolved(for: plain), .int8)  // exact portable kernels
        XCTAssertEqual(try Precision.fp32.resolved(for: vnni), .fp32)
        XCTAssertThrowsError(try Precision.bf16.resolved(for: vnni)) { e in XCTAssertTrue("\(e)".contains("AMX-BF16"), "\(e)") }
        XCTAssertThrowsError(try Precision.bf16.resolved(for: amx)) { e in XCTAssertTrue("\(e)".contains("not implemented"), "\(e)") }
        let data = try JSONEncoder().encode([Precision.int8])
        XCTAssertEqual(String(decoding: data, as: UTF8.self), "[\"int8\"]")
    }
}
