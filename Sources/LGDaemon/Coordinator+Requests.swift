// Carrying out authenticated requests against the store.
import Foundation
import LGStore
import LGNet

extension Coordinator {
    func handle(_ m: Message, worker: String, machine: inout ServerMachine, uploads: inout UploadFiles) -> Message {
        do {
            switch m.type {
            case .claim:
                if isStopping { return .error(.shuttingDown, "the coordinator is shutting down; retry later", id: m.id) }
                var r = Message(.jobs, id: m.id)
                r.jobs = try store.claim(owner: worker, limit: m.limit ?? 1, leaseSeconds: config.leaseSeconds, kinds: m.kinds)
                for j in r.jobs ?? [] { log("job \(j.id) (\(j.kind)) -> \(worker), attempt \(j.attempt), fence \(j.fence)") }
                return r
            case .heartbeat:
                var r = Message(.beatResults, id: m.id)
                r.results = try (m.beats ?? []).map { b in
                    LeaseReply(job: b.job, try store.heartbeat(jobID: b.job, fence: b.fence, progress: b.progress, rate: b.rate,
                                                               note: b.note, etaSeconds: b.eta, leaseSeconds: config.leaseSeconds))
                }
                return r
            case .metrics:
                return .lease(try store.recordMetrics(jobID: m.job!, fence: m.fence!, metrics: m.metrics ?? [:]), job: m.job!, id: m.id)
            case .complete:
                let o = try store.complete(jobID: m.job!, fence: m.fence!, metrics: m.metrics ?? [:], provenance: m.provenance ?? [:])
                log("job \(m.job!) complete from \(worker): \(o)")
                return .lease(o, job: m.job!, id: m.id)
            case .completeClaim:
                // One transaction: the complete and the claim are committed
                // together before the reply. While stopping, only the complete.
                let (o, jobs) = try store.completeAndClaim(jobID: m.job!, fence: m.fence!, metrics: m.metrics ?? [:],
                                                           provenance: m.provenance ?? [:],
                                                           owner: worker, limit: isStopping ? 0 : (m.limit ?? 1),
                                                           leaseSeconds: config.leaseSeconds, kinds: m.kinds)
                log("job \(m.job!) complete from \(worker): \(o)")
                for j in jobs { log("job \(j.id) (\(j.kind)) -> \(worker), attempt \(j.attempt), fence \(j.fence)") }
                var r = Message.lease(o, job: m.job!, id: m.id)
                r.type = .jobs
                r.jobs = jobs
                return r
            case .fail:
                let o = try store.fail(jobID: m.job!, fence: m.fence!, error: m.message ?? "", retryable: m.retryable ?? false)
                log("job \(m.job!) failed on \(worker): \(o)")
                return .lease(o, job: m.job!, id: m.id)
            case .release:
                return .lease(try store.release(jobID: m.job!, fence: m.fence!, note: "released by \(worker)"), job: m.job!, id: m.id)
            case .ckptBegin:
                let o = try store.validateLease(jobID: m.job!, fence: m.fence!)
                guard o == .ok else { machine.abort(); return .lease(o, job: m.job!, id: m.id) }
                var r = Message.lease(.ok, job: m.job!, id: m.id)
                r.upload = m.upload
                return r
            case .ckptEnd:
                guard let u = machine.lastFinishedUpload else { return .error(.outOfOrder, "no upload", id: m.id) }
                let path = "checkpoints/job-\(u.job)/latest.ckpt"
                guard try uploads.finish(u, to: path) else {
                    return .error(.checksum, "checkpoint sha256 mismatch; upload again", id: m.id)
                }
                let o = try store.addArtifact(Artifact(jobID: u.job, kind: "checkpoint", path: path, size: u.size, sha256: u.sha256), fence: u.fence)
                return .lease(o, job: u.job, id: m.id)
            case .ckptGet:
                let o = try store.validateLease(jobID: m.job!, fence: m.fence ?? -1)
                guard o == .ok else { return .lease(o, job: m.job!, id: m.id) }
                var source = m.job!
                if let of = m.of, of != source {
                    guard try store.dependsOn(jobID: source, neededID: of) else {
                        return .error(.notFound, "job \(source) does not depend on job \(of); only a dependency's checkpoint can be fetched", id: m.id)
                    }
                    source = of
                }
                guard let a = try store.latestArtifact(jobID: source, kind: "checkpoint") else {
                    return .error(.notFound, "job \(source) has no checkpoint", id: m.id)
                }
                let chunk = try UploadFiles.read(root: root, path: a.path, offset: m.offset ?? 0, max: 192 * 1024)
                var r = Message(.ckptChunk, id: m.id)
                r.job = m.job; r.offset = m.offset; r.size = a.size; r.sha256 = a.sha256
                r.data = Data(chunk).base64EncodedString()
                r.last = (m.offset ?? 0) + chunk.count >= a.size
                return r
            default:
                return .error(.unknownType, "unexpected \(m.type.rawValue)", id: m.id)
            }
        } catch {
            log("request \(m.type.rawValue) failed: \(error)")
            return .error(.internalError, "\(error)", id: m.id)
        }
    }
}
