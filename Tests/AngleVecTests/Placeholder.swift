import XCTest
final class AngleVecSmokeTests: XCTestCase { func testBuilds() {} }
