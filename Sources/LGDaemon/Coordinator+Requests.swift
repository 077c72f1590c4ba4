// Carrying out validated requests against the store.
import Foundation
import LGStore
import LGNet
import Logging

extension Coordinator {
    func handle(_ request: Request, id: Int?, worker: String, machine: inout ServerMachine, uploads: inout UploadFiles,
                announced: inout Bool) -> Message {
        do {
            switch request {
            case .claim(let limit, let kinds, let fuse):
                if isStopping { return .error(.shuttingDown, "the coordinator is shutting down; retry later", id: id) }
                var r = Message(.jobs, id: id)
                let t0 = DispatchTime.now().uptimeNanoseconds
                r.jobs = try store.claim(owner: worker, limit: limit, leaseSeconds: config.leaseSeconds, kinds: kinds,
                                         cells: config.cells(fuse))
                metrics?.claimed(jobs: r.jobs?.count ?? 0, seconds: Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
                for j in r.jobs ?? [] { logger.debug("job \(j.id) (\(j.kind)) -> \(worker), attempt \(j.attempt), fence \(j.fence)") }
                return r
            case .workerInfo(let info):
                if announced { try store.workerDisconnected(name: worker) }  // a second worker_info on one connection replaces the first
                try store.workerConnected(name: worker, info: info)
                announced = true
                if let holding = info.holding {
                    for id in try store.releaseUnheld(owner: worker, holding: holding) {
                        logger.info("job \(id) was leased to \(worker), whose claim reply was lost: back in the queue, attempt given back")
                    }
                }
                let slurm = (info.slurmJobID.map { ", Slurm job \($0)" } ?? "") + (info.slurmArrayTaskID.map { " task \($0)" } ?? "")
                logger.info("worker \(worker) on \(info.host), \(info.slots) slots\(slurm)")
                return Message(.ok, id: id)
            case .heartbeat(let beats):
                try store.workerSeen(name: worker)
                var r = Message(.beatResults, id: id)
                r.results = try beats.map { b in
                    LeaseReply(job: b.job, try store.heartbeat(jobID: b.job, fence: b.fence, progress: b.progress, rate: b.rate,
                                                               note: b.note, etaSeconds: b.eta, log: b.log ?? [],
                                                               leaseSeconds: config.leaseSeconds))
                }
                return r
            case .metrics(let l, let metrics):
                return .lease(try store.recordMetrics(jobID: l.job, fence: l.fence, metrics: metrics), job: l.job, id: id)
            case .complete(let l, let metrics, let provenance):
                let o = try store.complete(jobID: l.job, fence: l.fence, metrics: metrics, provenance: provenance)
                logger.debug("job \(l.job) complete from \(worker): \(o)")
                if o == .ok { self.metrics?.completed() }
                return .lease(o, job: l.job, id: id)
            case .completeClaim(let l, let metrics, let provenance, let limit, let kinds, let fuse):
                // One transaction: the complete and the claim are committed
                // together before the reply. While stopping, only the complete.
                let t0 = DispatchTime.now().uptimeNanoseconds
                let (o, jobs) = try store.completeAndClaim(jobID: l.job, fence: l.fence, metrics: metrics, provenance: provenance,
                                                           owner: worker, limit: isStopping ? 0 : limit,
                                                           leaseSeconds: config.leaseSeconds, kinds: kinds, cells: config.cells(fuse))
                logger.debug("job \(l.job) complete from \(worker): \(o)")
                if o == .ok { self.metrics?.completed() }
                if !isStopping && limit > 0 {
                    self.metrics?.claimed(jobs: jobs.count, seconds: Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
                }
                for j in jobs { logger.debug("job \(j.id) (\(j.kind)) -> \(worker), attempt \(j.attempt), fence \(j.fence)") }
                var r = Message.lease(o, job: l.job, id: id)
                r.type = .jobs
                r.jobs = jobs
                return r
            case .fail(let l, let message, let retryable):
                let o = try store.fail(jobID: l.job, fence: l.fence, error: message, retryable: retryable)
                if o == .ok, let m = self.metrics { m.failed(requeued: try store.job(id: l.job)?.state == .queued) }
                logger.info("job \(l.job) failed on \(worker) (\(retryable ? "retryable" : "permanent")): \(o)")
                return .lease(o, job: l.job, id: id)
            case .release(let l):
                return .lease(try store.release(jobID: l.job, fence: l.fence, note: "released by \(worker)"), job: l.job, id: id)
            case .checkpointBegin(let u):
                let o = try store.validateLease(jobID: u.job, fence: u.fence)
                guard o == .ok else { machine.abort(); return .lease(o, job: u.job, id: id) }
                var r = Message.lease(.ok, job: u.job, id: id)
                r.upload = u.id
                return r
            case .checkpointEnd(let u):
                // A checkpoint replaces the job's latest; a named file (label_sheet.png) sits beside it.
                let path = "checkpoints/job-\(u.job)/" + (u.artifact ?? "latest.ckpt")
                guard try uploads.finish(u, to: path) else {
                    return .error(.checksum, "checkpoint sha256 mismatch; upload again", id: id)
                }
                let o = try store.addArtifact(Artifact(jobID: u.job, kind: u.artifact ?? "checkpoint", path: path, size: u.size, sha256: u.sha256),
                                              fence: u.fence)
                return .lease(o, job: u.job, id: id)
            case .labelGet(let digest):
                // Not an error when absent: the worker computes the labels.
                var r = Message(.labelData, id: id)
                r.label = digest
                let entry = labels?.read(digest: digest)
                r.data = entry.map { Data($0).base64EncodedString() }
                if labels != nil { metrics?.labelServed(hit: entry != nil) }
                return r
            case .labelPut(let digest, let bytes):
                guard let labels else { return Message(.ok, id: id) }  // kept nowhere; the worker has its own copy
                // A worker on this host in this folder shares the directory: nothing to write.
                if FileManager.default.fileExists(atPath: labels.url(forDigest: digest).path) { return Message(.ok, id: id) }
                let w = labels.write(bytes, digest: digest)
                if !w.stored { logger.warning("label-cache entry \(digest) from \(worker) could not be stored under \(labels.directory.path)") }
                if w.stored { metrics?.labelStored(bytes: bytes.count) }
                if w.evicted > 0 { logger.info("label cache: \(w.evicted) old entries removed (bound \(labels.maxBytes) bytes)") }
                return Message(.ok, id: id)
            case .checkpointGet(let l, let offset, let dependency):
                let o = try store.validateLease(jobID: l.job, fence: l.fence)
                guard o == .ok else { return .lease(o, job: l.job, id: id) }
                var source = l.job
                if let of = dependency, of != source {
                    guard try store.dependsOn(jobID: source, neededID: of) else {
                        return .error(.notFound, "job \(source) does not depend on job \(of); only a dependency's checkpoint can be fetched", id: id)
                    }
                    source = of
                }
                guard let a = try store.latestArtifact(jobID: source, kind: "checkpoint") else {
                    return .error(.notFound, "job \(source) has no checkpoint", id: id)
                }
                let chunk = try UploadFiles.read(root: root, path: a.path, offset: offset, max: 192 * 1024)
                var r = Message(.ckptChunk, id: id)
                r.job = l.job; r.offset = offset; r.size = a.size; r.sha256 = a.sha256
                r.data = Data(chunk).base64EncodedString()
                r.last = offset + chunk.count >= a.size
                return r
            }
        } catch {
            logger.error("request \(request.name) from \(worker) failed: \(error)")
            return .error(.internalError, "\(error)", id: id)
        }
    }
}
