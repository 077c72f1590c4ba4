import XCTest
import Foundation
import LGStore

/// The coordinator and two workers on three network hosts: network
/// namespaces joined by veth pairs, so the queue's traffic crosses real
/// interfaces with real addresses. Needs root and iproute2; skipped
/// elsewhere unless LG_REQUIRE_NETNS=1 (as .ci/run sets it).
final class NetnsTests: XCTestCase {
    /// Namespace names unique to this run.
    let tag = String(UInt32.random(in: 0...0xffff), radix: 16)
    var namespaces: [String] = []

    @discardableResult
    func ip(_ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe; p.standardError = pipe
        try p.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw NSError(domain: "ip", code: Int(p.terminationStatus),
                          userInfo: [NSLocalizedDescriptionKey: "ip \(args.joined(separator: " ")): \(out)"])
        }
        return out
    }

    override func tearDown() {
        for ns in namespaces { _ = try? ip(["netns", "del", ns]) }
        namespaces = []
    }

    /// coordinator host c (10.77.1.1 and 10.77.2.1) joined to w1 (10.77.1.2)
    /// and w2 (10.77.2.2) by one veth pair each.
    func makeHosts() throws -> (c: String, w1: String, w2: String, link1: String) {
        let c = "lgc-\(tag)", w1 = "lgw1-\(tag)", w2 = "lgw2-\(tag)"
        do {
            for ns in [c, w1, w2] { try ip(["netns", "add", ns]); namespaces.append(ns) }
        } catch {
            if ProcessInfo.processInfo.environment["LG_REQUIRE_NETNS"] == "1" { throw error }
            throw XCTSkip("cannot make network namespaces here (needs root and iproute2): \(error)")
        }
        for (i, w) in [w1, w2].enumerated() {
            let n = i + 1
            let cside = "c\(n)-\(tag)", wside = "w\(n)-\(tag)"
            try ip(["link", "add", cside, "netns", c, "type", "veth", "peer", "name", wside, "netns", w])
            try ip(["-n", c, "addr", "add", "10.77.\(n).1/24", "dev", cside])
            try ip(["-n", w, "addr", "add", "10.77.\(n).2/24", "dev", wside])
            try ip(["-n", c, "link", "set", cside, "up"])
            try ip(["-n", w, "link", "set", wside, "up"])
        }
        for ns in [c, w1, w2] { try ip(["-n", ns, "link", "set", "lo", "up"]) }
        return (c, w1, w2, "w1-\(tag)")
    }

    /// Cut worker 1's link mid-job and bring it back: its job is recovered
    /// (by lease expiry and worker 2, or by worker 1 reconnecting), never
    /// completed twice, and nothing is lost.
    func testCutLinkMidJobLosesNothing() throws {
        let hosts = try makeHosts()
        let cluster = try LiveCluster(lease: 3, heartbeat: 0.3)
        addTeardownBlock { cluster.shutdown(); if self.testRun?.hasSucceeded == false { print(cluster.logs()) } else { cluster.cleanup() } }
        let portFile = cluster.dir + "/port"
        cluster.coordinator = try cluster.spawn("coordinator", ["serve", "--db", cluster.db, "--listen", "0.0.0.0:0", "--port-file", portFile,
                                                                "--lease", "3", "--heartbeat", "0.3", "--rescue-interval", "0.2", "--verbose"],
                                                log: "coordinator.log", namespace: hosts.c)
        try cluster.waitFor("coordinator to listen", timeout: 10) { FileManager.default.fileExists(atPath: portFile) }
        cluster.port = Int(try String(contentsOfFile: portFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        try cluster.enqueue(6, ["steps": .int(40), "step_ms": .int(50), "checkpoint_every": .int(5)])
        let store = try cluster.store()
        func worker(_ ns: String, _ addr: String, _ n: Int) throws -> Process {
            let p = try cluster.spawn("lg-queue-worker", ["--connect", "\(addr):\(cluster.port)", "--slots", "1", "--secret", cluster.dir + "/expr/secret",
                                                          "--workdir", cluster.dir + "/work", "--quiet", "--poll", "0.1", "--max-backoff", "0.5",
                                                          "--exit-when-idle"],
                                      log: "worker-\(n).log", namespace: ns)
            cluster.workers.append(p)
            return p
        }
        let w1 = try worker(hosts.w1, "10.77.1.1", 1)
        let w2 = try worker(hosts.w2, "10.77.2.1", 2)
        // Both workers registered from their own addresses' hosts.
        try cluster.waitFor("both workers to register", timeout: 15) { try store.workers().filter(\.connected).count == 2 }
        var cutJob = 0
        try cluster.waitFor("worker 1 a third into a job", timeout: 30) {
            let name = try store.workers().first { ($0.info.pid ?? -1) == Int(w1.processIdentifier) }?.name
            guard let j = try store.jobs(state: .running).first(where: { $0.leaseOwner == name && $0.progress > 0.3 }) else { return false }
            cutJob = j.id
            return true
        }
        try ip(["-n", hosts.w1, "link", "set", hosts.link1, "down"])
        // Longer than the lease: the coordinator gives the job to worker 2.
        Thread.sleep(forTimeInterval: 5)
        try ip(["-n", hosts.w1, "link", "set", hosts.link1, "up"])
        try cluster.waitFor("every job to succeed", timeout: 90) { try store.counts()[.succeeded] == 6 }
        w1.waitUntilExit(); w2.waitUntilExit()
        for j in try store.jobs() {
            XCTAssertEqual(j.state, .succeeded)
            XCTAssertEqual(try store.metrics(jobID: j.id).count, 4, "one metric set for job \(j.id)")
        }
        let cut = try XCTUnwrap(try store.job(id: cutJob))
        print("netns: job \(cutJob) cut mid-run finished on attempt \(cut.attempt)")
        XCTAssertTrue(cut.attempt == 1 || cut.attempt == 2, "recovered by reconnection or by one lease expiry: \(cut.attempt)")
        XCTAssertEqual(try store.integrityCheck(), "ok")
        let log = try String(contentsOfFile: cluster.dir + "/coordinator.log", encoding: .utf8)
        if cut.attempt == 2 {
            XCTAssertTrue(log.contains("lease of job \(cutJob) expired"), log)
        }
    }
}
