import Foundation
import VoxSAMCore
@testable import VoxSAMPACS
import XCTest

/// DIMSE addresses and AE titles, without a peer (the peer tests are `PACSTests`, against Orthanc).
final class DIMSETests: XCTestCase {
    func testAddresses() throws {
        let s = try DIMSELocation("dimse://ORTHANC@pacs.example.org:4242/1.2.840.113619.2.55")
        XCTAssertEqual(s.calledAET, "ORTHANC")
        XCTAssertEqual(s.host, "pacs.example.org")
        XCTAssertEqual(s.port, 4242)
        XCTAssertEqual(s.series, "1.2.840.113619.2.55")
        XCTAssertEqual(s.peer, "dimse://ORTHANC@pacs.example.org:4242")
        let p = try DIMSELocation("DIMSE://MY PACS@[::1]")
        XCTAssertEqual(p.calledAET, "MY PACS")
        XCTAssertEqual(p.host, "::1")
        XCTAssertEqual(p.port, 104, "the DICOM port by default")
        XCTAssertNil(p.series)
        XCTAssertEqual(p.peer, "dimse://MY PACS@[::1]:104")
        for bad in ["dimse://pacs:104/1.2", "dimse://@pacs:104", "dimse://A\\B@pacs:104", "dimse://SEVENTEEN_CHARS_XX@pacs:104",
                    "dimse://PACS@pacs:0", "dimse://PACS@pacs:65536", "dimse://PACS@pacs:x", "dimse://PACS@:104", "dimse://PACS@pa/cs:104/1.2",
                    "dimse://PACS@pacs:104/1.2/1.3", "dimse://PACS@pacs:104/../1.2", "dimse://PACS@[::1:104", "dimse://PACS@pa cs:104",
                    "dimse://PACS@pacs:104/1.2?x=1", "dimse://PACS@fe80::1", "dimse://PACS@pacs:+104"] {
            XCTAssertThrowsError(try DIMSELocation(bad), bad) { e in
                XCTAssertEqual((e as? VoxSAMError)?.code, .invalidArgument, bad)
            }
        }
    }

    func testEitherKindOfPeer() throws {
        XCTAssertTrue(PACSAddress.isRemote("dimse://A@h:1/1.2"))
        XCTAssertTrue(PACSAddress.isRemote("dicomweb://h:1/dicom-web"))
        XCTAssertFalse(PACSAddress.isRemote("/data/ct"))
        XCTAssertEqual(try PACSAddress.destination("dimse://A@h:11112").service, "C-STORE")
        XCTAssertEqual(try PACSAddress.destination("dicomweb://h:8042/dicom-web").service, "STOW-RS")
        XCTAssertThrowsError(try PACSAddress.destination("dimse://A@h:11112/1.2.3"), "a series is no destination")
        XCTAssertThrowsError(try PACSAddress.destination("dicomweb://h:8042/dicom-web/studies/1.2/series/1.3"))
        XCTAssertThrowsError(try PACSAddress("ftp://h/x"))
    }

    func testOurAETitle() throws {
        XCTAssertEqual(try DIMSEClient(aet: nil, environment: [:]).aet, "VOXSAM")
        XCTAssertEqual(try DIMSEClient(aet: nil, environment: ["VOXSAM_AET": "RESEARCH1"]).aet, "RESEARCH1")
        XCTAssertEqual(try DIMSEClient(aet: " WS2 ", environment: ["VOXSAM_AET": "RESEARCH1"]).aet, "WS2", "--aet first")
        for bad in ["", "   ", "A\\B", "SEVENTEEN_CHARS_X", "TAB\tX", "Ünï"] {
            XCTAssertThrowsError(try DIMSEClient(aet: bad, environment: [:]), bad)
        }
        XCTAssertThrowsError(try DIMSEClient(aet: nil, environment: ["VOXSAM_AET": "A\\B"]))
    }

    func testNothingListensHere() throws {
        // A refused connection is retried with backoff (1 s), then one line naming the peer.
        var client = try DIMSEClient(aet: nil, environment: [:])
        client.attempts = 2
        client.timeout = 5
        let start = Date()
        XCTAssertEqual(try client.store(files: [], at: DIMSELocation("dimse://X@127.0.0.1:9")), [], "nothing to send: no association")
        XCTAssertThrowsError(try client.fetchSeries(DIMSELocation("dimse://X@127.0.0.1:9/1.2"), into: NSTemporaryDirectory())) { e in
            let v = e as? VoxSAMError
            XCTAssertEqual(v?.code, .network)
            XCTAssertEqual(v?.path, "dimse://X@127.0.0.1:9")
            XCTAssertTrue(v?.message.contains("Connection refused") == true && v?.message.contains("after 2 attempts") == true, v?.message ?? "")
        }
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(start), 1)
    }
}
