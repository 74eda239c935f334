import Proxy
import ServiceLifecycle

/// Runs one sink as a service of the listener's `ServiceGroup`: subscribes it to the bus, hands it
/// batches through a bounded queue (overflow dropped and counted), and on graceful shutdown, which
/// reaches the sinks after the listener has stopped, ends its subscription, lets it take what is
/// left and closes it. Cancelled instead, it drains all the same: what was recorded is not lost.
package struct SinkService<Sink: ExchangeSink>: Service {
    let sink: Sink
    let bus: ExchangeBus
    let failures: FailureLog

    package init(_ sink: Sink, bus: ExchangeBus, failures: FailureLog) {
        self.sink = sink
        self.bus = bus
        self.failures = failures
    }

    package func run() async throws {
        let subscription = bus.subscribe(sink.name, capacity: sink.capacity, kinds: sink.kinds)
        // Unstructured, so that cancelling the group stops the intake but not the draining.
        let work = Task {
            await sink.open()
            let queue = EventQueue(capacity: sink.capacity, window: sink.batchWindow)
            let reader = Task {
                for await event in subscription.events where !queue.push(event) {
                    failures.record(sink.failureKind, "\(sink.name) fell behind; exchange events are being dropped")
                }
                queue.finish()
            }
            await queue.batches { await sink.consume($0) }
            await reader.value
            await sink.close()
        }
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await work.value
            } onCancel: {
                bus.end(subscription)
            }
        } onGracefulShutdown: {
            bus.end(subscription)
        }
    }
}
