import Assay
import AssayStoreSQLite
import AssayTesting
import Foundation
import Testing

/// What server replicas share through the database: named secrets and web UI sessions.
@Suite struct ServerStateStoreTests {
    @Test(arguments: Backend.available.filter { $0 != .rest })
    func secretsAreMadeOnceAndSessionsAreOpenedCheckedAndClosed(backend: Backend) async throws {
        try await backend.withStore { opened in
            let store = try #require(opened as? any ServerStateStore)
            let secret = try await store.sharedSecret(named: "ui.csrf")
            #expect(secret.count == 32)
            #expect(try await store.sharedSecret(named: "ui.csrf") == secret)
            #expect(try await store.sharedSecret(named: "other") != secret)
            let now = MetricPoint.now()
            try await store.openSession(hash: "h1", expiresAt: now + 60_000)
            try await store.openSession(hash: "old", expiresAt: now - 1)
            #expect(try await store.isSessionOpen(hash: "h1", now: now))
            #expect(try await !store.isSessionOpen(hash: "old", now: now))
            #expect(try await !store.isSessionOpen(hash: "h2", now: now))
            try await store.closeSession(hash: "h1", now: now)
            #expect(try await !store.isSessionOpen(hash: "h1", now: now))
            try await store.checkReachable()
        }
    }

    @Test func twoStoresOnOneFileShareTheSecret() async throws {
        let folder = try TemporaryFolder()
        let first = try SQLiteTrackingStore(path: folder.path("assay.db"))
        let second = try SQLiteTrackingStore(path: folder.path("assay.db"))
        async let a = first.sharedSecret(named: "ui.csrf")
        async let b = second.sharedSecret(named: "ui.csrf")
        let (x, y) = try await (a, b)
        #expect(x == y)
    }

    @Test(arguments: Backend.available.filter { $0 != .rest })
    func onlyDeletedRunsArePurgedAndEverythingLoggedGoesWithThem(backend: Backend) async throws {
        try await backend.withStore { opened in
            let store = try #require(opened as? any PurgingStore)
            let run = try await store.createRun(in: "0", named: "gone", startTime: 1, userID: nil, tags: [KeyValue("t", "v")])
            try await store.logBatch(run: run.id, metrics: [MetricPoint(key: "m", value: 1)], params: [KeyValue("p", "1")], tags: [])
            #expect(await errorMessage { try await store.purgeRun(id: run.id) }?.contains("not deleted") == true)
            try await store.setRunLifecycle(id: run.id, .deleted)
            try await store.purgeRun(id: run.id)
            #expect(await errorMessage { _ = try await store.run(id: run.id) } != nil)
            #expect(await errorMessage { try await store.purgeRun(id: run.id) } != nil)
        }
    }
}
