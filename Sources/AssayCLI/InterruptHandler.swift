import Dispatch
import Foundation

/// Turns the first Ctrl-C (SIGINT) into a call of `action`, so a run can stop cleanly; a second Ctrl-C
/// ends the process at once.
final class InterruptHandler: @unchecked Sendable {
    private let source: any DispatchSourceSignal
    private var count = 0

    init(_ action: @escaping @Sendable () -> Void) {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [unowned self] in
            count += 1
            if count == 1 {
                action()
            } else {
                Foundation.exit(130)
            }
        }
        source.resume()
    }

    /// Restores the default Ctrl-C behaviour.
    func stop() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }
}
