import Foundation
import Logging

/// What the forwarding path needs, shared by every request on a listener.
package struct ProxyContext: Sendable {
    package var providers: ProviderTable
    package var prices: PriceTable
    package let bus: ExchangeBus
    package let failures: FailureLog
    package let logger: Logger
    /// Bytes of each response body kept on the exchange; the client always gets all of it.
    package var captureLimit: Int
    /// Set by `ccglass claude` and friends so exchanges of one wrapper run can be grouped.
    package var runID: String?

    package init(providers: ProviderTable, prices: PriceTable, bus: ExchangeBus, failures: FailureLog,
                logger: Logger, captureLimit: Int = 16 << 20, runID: String? = nil) {
        self.providers = providers
        self.prices = prices
        self.bus = bus
        self.failures = failures
        self.logger = logger
        self.captureLimit = captureLimit
        self.runID = runID
    }
}
