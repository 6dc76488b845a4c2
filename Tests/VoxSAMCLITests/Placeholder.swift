import XCTest
final class VoxSAMCLITestsPlaceholder: XCTestCase { func testNothing() {} }
