import Foundation
import Testing

/// A folder of each test's own under the temp directory, removed when the test ends: stores, trace
/// files and transcripts the tests write leave nothing behind.
struct TemporaryFolder: SuiteTrait, TestTrait, TestScoping {
    @TaskLocal static var current: URL?

    var isRecursive: Bool { true }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ccglass-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try await Self.$current.withValue(folder) { try await function() }
    }

    /// A new path inside the current test's folder.
    static func path(_ name: String) throws -> URL {
        let folder = try #require(current, "the suite needs the .temporaryFolder trait")
        return folder.appendingPathComponent("\(name)-\(UUID().uuidString)")
    }
}

extension Trait where Self == TemporaryFolder {
    static var temporaryFolder: Self { TemporaryFolder() }
}
