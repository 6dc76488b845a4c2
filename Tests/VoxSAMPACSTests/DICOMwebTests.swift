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
        XCTAssertTrue(DICOMwebLocation.isDICOMweb("DICOMweb://x"))
        XCTAssertFalse(DICOMwebLocation.isDICOMweb("/data/dicomweb://x"))
        for (bad, fragment) in [("dicomweb://", "no host"), ("dicomweb://user:pw@pacs/dicom-web", "credentials do not belong"),
                                ("dicomweb://pacs/studies/1.2/series/../x", "are not allowed in the path"),
                                ("dicomweb://pacs/studies/1.2/series/abc", "not a DICOM UID"), ("dicomweb://pacs/x?y=1", "no query"),
                                ("http://pacs/x", "not a DICOMweb address")] {
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
        for bad in ["Token abc", "Basic nocolon", "Bearer"] {
            XCTAssertThrowsError(try DICOMwebCredentials.load(file: nil, environment: ["VOXSAM_DICOMWEB_AUTH": bad])) {
                XCTAssertFalse("\($0)".contains("abc") || "\($0)".contains("nocolon"), "the secret is not echoed: \($0)")
            }
        }
    }

    func testStowFailuresAreNamed() {
        let answer = #"{"00081198": {"vr": "SQ", "Value": [{"00081155": {"vr": "UI", "Value": ["1.2.3"]}, "00081197": {"vr": "US", "Value": [42752]}}]}}"#
        XCTAssertEqual(DICOMwebClient.failedSOPs(Data(answer.utf8)), ["instance 1.2.3: failure reason 42752"])
        XCTAssertEqual(DICOMwebClient.failedSOPs(Data("{}".utf8)), [])
        XCTAssertEqual(DICOMwebClient.said(Data("line one\nline two".utf8)), " (line one line two)")
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
