import Foundation
import XCTest
@testable import LGModelIO

final class TorchFileTests: XCTestCase {
    func testSmoke() throws {
        let url = Bundle.module.url(forResource: "Fixtures/miou_case", withExtension: "pth")!
        let v = try TorchFile.load(url: url)
        print(v)
    }
}
