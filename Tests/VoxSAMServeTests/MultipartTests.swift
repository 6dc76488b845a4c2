import XCTest
@testable import VoxSAMServe
final class MultipartTests: XCTestCase { func testNothing() {} }
