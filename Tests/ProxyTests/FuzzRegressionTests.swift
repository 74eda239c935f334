import Foundation
import Testing
@testable import Proxy

/// Every input the fuzzers ever found interesting (crashes copied from `scripts/fuzz`), replayed.
@Suite struct FuzzRegressionTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../Fixtures/fuzz").standardized

    static var inputs: [(String, URL)] {
        FuzzHarness.targets.flatMap { target in
            ((try? FileManager.default.contentsOfDirectory(at: root.appendingPathComponent(target), includingPropertiesForKeys: nil)) ?? [])
                .filter { !$0.lastPathComponent.hasPrefix(".") }
                .map { (target, $0) }
        }
    }

    @Test func savedInputsRunCleanly() throws {
        #expect(!Self.inputs.isEmpty)
        for (target, file) in Self.inputs {
            FuzzHarness.run(target, Array(try Data(contentsOf: file)))
        }
    }

    @Test func edgeInputsRunCleanly() {
        let edges: [[UInt8]] = [[], [0], [0xff], Array("data:".utf8), Array(repeating: 0x0a, count: 10_000), Array(repeating: 0x5b, count: 20_000)]
        for target in FuzzHarness.targets {
            for input in edges { FuzzHarness.run(target, input) }
        }
    }
}
