import Foundation

/// Finds files SwiftPM bundles beside the executable (`ccglass_<Target>.resources/`), without the
/// generated `Bundle.module`, which aborts the process when the bundle was not copied along.
package enum BundledResources {
    package static func url(target: String, path: String) -> URL? {
        let bundleName = "ccglass_\(target).resources"
        var directories = [Bundle.main.bundleURL, Bundle.main.executableURL?.deletingLastPathComponent()].compactMap { $0 }
        if let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() {
            directories.append(executable.deletingLastPathComponent())
        }
        for directory in directories {
            let candidate = directory.appendingPathComponent(bundleName).appendingPathComponent(path)
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
        }
        return nil
    }
}

extension PriceTable {
    /// The shipped `pricing.json`, then the user's `<home>/pricing.json` over it. Problems are returned
    /// as readable warnings; a broken user file never stops ccglass (the shipped prices still apply).
    package static func load(home: URL?) -> (PriceTable, [String]) {
        var warnings: [String] = []
        var table = PriceTable()
        if let url = BundledResources.url(target: "Proxy", path: "pricing.json") {
            do {
                table = try PriceTable(json: Data(contentsOf: url))
            } catch {
                warnings.append("shipped pricing.json unreadable (\(error)); every model is unpriced")
            }
        } else {
            warnings.append("shipped pricing.json not found beside the executable; every model is unpriced")
        }
        if let home {
            let user = home.appendingPathComponent("pricing.json")
            if FileManager.default.fileExists(atPath: user.path) {
                do {
                    table.merge(try PriceTable(json: Data(contentsOf: user)))
                } catch {
                    warnings.append("ignoring \(user.path): \(error)")
                }
            }
        }
        return (table, warnings)
    }
}
