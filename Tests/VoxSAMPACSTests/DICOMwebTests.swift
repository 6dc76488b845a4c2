import Foundation
import VoxSAMCore
@testable import VoxSAMPACS
import XCTest

/// DICOMweb addresses, credentials and STOW-RS answers, without a server (the server tests are
/// `PACSTests`, against Orthanc).
final class DICOMwebTests: XCTestCase {
    func testAddresses() throws {
        let s = try DICOMwebLocation("dicomweb://pacs.example.org:8042/dicom-web/studies/1.2.3/series/1.2.3.4")
        XCTAssertEqual(s.root.absoluteString, "http://pacs.example.org:8042/dicom-web")
        XCTAssertEqual(s.study, "1.2.3")
        XCTAssertEqual(s.series, "1.2.3.4")
        XCTAssertEqual(s.seriesURL?.absoluteString, "http://pacs.example.org:8042/dicom-web/studies/1.2.3/series/1.2.3.4")
        let r = try DICOMwebLocation("dicomwebs://pacs:443/wado/rs/studies")
        XCTAssertEqual(r.root.absoluteString, "https://pacs:443/wado/rs")
        XCTAssertNil(r.study)
        XCTAssertEqual(try DICOMwebLocation("dicomweb://127.0.0.1:8042").root.absoluteString, "http://127.0.0.1:8042")
        let v6 = try DICOMwebLocation("dicomweb://[::1]:8042/dicom-web")
        XCTAssertEqual(v6.root.absoluteString, "http://[::1]:8042/dicom-web")
        XCTAssertTrue(v6.isLoopback)
        XCTAssertFalse(try DICOMwebLocation("dicomweb://pacs.example.org/dicom-web").isLoopback)
        XCTAssertEqual(try DICOMwebLocation("dicomweb://pacs/a%2Fb/rs").root.absoluteString, "http://pacs/a%2Fb/rs", "%2F stays encoded")
        XCTAssertTrue(DICOMwebLocation.isDICOMweb("DICOMweb://x"))
        XCTAssertFalse(DICOMwebLocation.isDICOMweb("/data/dicomweb://x"))
        for (bad, fragment) in [("dicomweb://", "no host"), ("dicomweb://user:pw@pacs/dicom-web", "credentials do not belong"),
                                ("dicomweb://pacs/studies/1.2/series/../x", "are not allowed in the path"),
                                ("dicomweb://pacs/studies/1.2/series/abc", "not a DICOM UID"), ("dicomweb://pacs/x?y=1", "no query"),
                                ("http://pacs/x", "not a DICOMweb address"),
                                ("dicomweb://pacs/dicom-web/studies/1.2", "give the server's DICOMweb root"),
                                ("dicomweb://pacs/dicom-web/studies/1.2/series", "give the server's DICOMweb root")] {
            XCTAssertThrowsError(try DICOMwebLocation(bad), bad) {
                let e = $0 as? VoxSAMError
                XCTAssertEqual(e?.code, .invalidArgument)
                XCTAssertTrue(e?.message.contains(fragment) == true, "\(e?.message ?? "") lacks \(fragment)")
            }
        }
    }

    func testCredentialsAreReadButNeverShown() throws {
        XCTAssertNil(try DICOMwebCredentials.load(file: nil, environment: [:]))
        XCTAssertEqual(try DICOMwebCredentials.load(file: nil, environment: ["VOXSAM_DICOMWEB_AUTH": "Bearer abc"])?.header, "Bearer abc")
        XCTAssertEqual(try DICOMwebCredentials.load(file: nil, environment: ["VOXSAM_DICOMWEB_AUTH": "basic user:pa ss"])?.header,
                       "Basic " + Data("user:pa ss".utf8).base64EncodedString())
        for bad in ["Token abc", "Basic nocolon", "Bearer", "Bearer abc\rdef"] {
            XCTAssertThrowsError(try DICOMwebCredentials.load(file: nil, environment: ["VOXSAM_DICOMWEB_AUTH": bad])) {
                XCTAssertFalse("\($0)".contains("abc") || "\($0)".contains("nocolon"), "the secret is not echoed: \($0)")
            }
        }
        let c = try XCTUnwrap(try DICOMwebCredentials.load(file: nil, environment: ["VOXSAM_DICOMWEB_AUTH": "Bearer s3cret"]))
        XCTAssertFalse("\(c)".contains("s3cret") || String(reflecting: c).contains("s3cret") || "\(DICOMwebClient(credentials: c))".contains("s3cret"))
    }

    func testStowFailuresAreNamed() {
        let answer = #"{"00081198": {"vr": "SQ", "Value": [{"00081155": {"vr": "UI", "Value": ["1.2.3"]}, "00081197": {"vr": "US", "Value": [42752]}}]}, "00081199": {"vr": "SQ", "Value": [{"00081155": {"vr": "UI", "Value": ["1.2.4"]}, "00081196": {"vr": "US", "Value": [45056]}}]}}"#
        let a = DICOMwebClient.stowAnswer(Data(answer.utf8))
        XCTAssertEqual(a.failed, ["instance 1.2.3: failure reason 0xA700"])
        XCTAssertEqual(a.referenced, 1)
        XCTAssertEqual(a.warnings, ["instance 1.2.4: warning 0xB000"])
        XCTAssertEqual(DICOMwebClient.stowAnswer(Data("[]".utf8)).referenced, 0, "a QIDO answer (a redirected POST turned GET) acknowledges nothing")
        // One line: CR, LF, tabs and runs of spaces collapse; binary bodies are not quoted.
        XCTAssertEqual(DICOMwebClient.said(Data("<h1>Not\r\nFound</h1>\t  x".utf8), type: "text/html"), " (<h1>Not Found</h1> x)")
        XCTAssertEqual(DICOMwebClient.said(Data([0, 1, 2]), type: "application/dicom"), "")
    }

    /// A WADO-RS answer as Orthanc sends it: multipart/related, each part an application/dicom instance.
    func testMultipartRelatedAnswer() throws {
        let body = MultipartMIME.encode([([("Content-Type", "application/dicom")], Data("DICM1".utf8)),
                                         ([("Content-Type", "application/dicom")], Data("DICM2\r\n--".utf8))], boundary: "b0undary")
        let b = try MultipartMIME.boundary(contentType: "multipart/related; type=\"application/dicom\"; boundary=b0undary")
        XCTAssertEqual(b.type, "multipart/related")
        let parts = try MultipartMIME.parse(body, boundary: b.boundary, maxParts: 10)
        XCTAssertEqual(parts.map(\.body), [Data("DICM1".utf8), Data("DICM2\r\n--".utf8)])
        XCTAssertEqual(parts[0].headers["content-type"], "application/dicom")
    }
}
