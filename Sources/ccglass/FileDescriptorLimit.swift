#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Each proxied stream holds two sockets (client and upstream), so the common soft limit of 1024 open
/// files caps ccglass near 500 concurrent streams. Raise the soft limit to the hard one, as servers do.
enum FileDescriptorLimit {
    /// The soft limit after raising it.
    @discardableResult
    static func raiseToHardLimit() -> UInt64 {
        #if os(Linux)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        var limit = rlimit()
        guard getrlimit(resource, &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resource, &raised) == 0 { return UInt64(raised.rlim_cur) }
        }
        return UInt64(limit.rlim_cur)
    }
}
