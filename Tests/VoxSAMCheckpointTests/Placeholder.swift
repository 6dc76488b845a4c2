import XCTest
final class VoxSAMCheckpointTestsPlaceholder: XCTestCase { func testNothing() {} }
