import Foundation

/// A thread of its own for the writer connection's transactions, as a task executor: SQLite's blocking
/// work (writing the WAL, checkpoints) then waits on this thread, while the few threads of Swift's
/// cooperative pool (one per core) go on answering requests. Jobs run in the order they arrive; the
/// thread ends when the executor is released.
final class WriterThread: TaskExecutor, @unchecked Sendable {
    /// The jobs and the stop flag, shared with the thread; read and written only while `condition` is locked.
    private final class Queue: @unchecked Sendable {
        let condition = NSCondition()
        var jobs: [UnownedJob] = []
        var stopped = false
    }

    private let queue = Queue()

    init(name: String) {
        let queue = self.queue
        // Unowned: while a job is queued its task keeps the executor alive; the thread never touches it
        // after the executor is gone, since by then the queue is empty and stopped.
        unowned(unsafe) let executor = self
        let thread = Thread {
            while true {
                queue.condition.lock()
                while queue.jobs.isEmpty, !queue.stopped { queue.condition.wait() }
                if queue.jobs.isEmpty {
                    queue.condition.unlock()
                    return
                }
                let batch = queue.jobs
                queue.jobs.removeAll(keepingCapacity: true)
                queue.condition.unlock()
                for job in batch { job.runSynchronously(on: executor.asUnownedTaskExecutor()) }
            }
        }
        thread.name = name
        thread.start()
    }

    func enqueue(_ job: UnownedJob) {
        queue.condition.lock()
        queue.jobs.append(job)
        queue.condition.signal()
        queue.condition.unlock()
    }

    deinit {
        queue.condition.lock()
        queue.stopped = true
        queue.condition.signal()
        queue.condition.unlock()
    }
}
