import Dispatch
import Foundation

/// Turns the first Ctrl-C (SIGINT) into a call of `action`, so a run can stop cleanly; a second Ctrl-C
/// ends the process at once.
final class InterruptHandler: @unchecked Sendable {
    private let source: any DispatchSourceSignal
    // `count` is read and written only while `lock` is held.
    private let lock = NSLock()
    private var count = 0

    init(_ action: @escaping @Sendable () -> Void) {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [unowned self] in
            let presses = lock.withLock {
                count += 1
                return count
            }
            if presses == 1 {
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
