import XCTest
final class EmbedSmokeTests: XCTestCase { func testBuilds() {} }
