import Exporters
import Foundation
import Proxy

/// `ccglass-fuzz`: libFuzzer over `FuzzHarness`, the target named by `CCGLASS_FUZZ_TARGET`. Built with
/// `-sanitize=fuzzer -DFUZZING` by `scripts/fuzz`; in a normal build it replays the files given as
/// arguments instead (`ccglass-fuzz crash-…`).
let target = ProcessInfo.processInfo.environment["CCGLASS_FUZZ_TARGET"] ?? "sse"

/// The wire formats' targets, and the exporters' one reader of bytes from the network.
func fuzz(_ bytes: [UInt8]) {
    if target == "otlpresponse" { OTLPResponseFuzz.run(bytes) } else { FuzzHarness.run(target, bytes) }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzz(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

// SwiftPM owns `main` for executables, so libFuzzer is started through its driver entry point.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<CInt>,
                     _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

@main
struct Fuzz {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(runFuzzerDriver(&argc, &argv, fuzzOne))
    }
}
#else
@main
struct Replay {
    static func main() throws {
        for path in CommandLine.arguments.dropFirst() {
            fuzz(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
            print("\(target): \(path) ok")
        }
    }
}
#endif
