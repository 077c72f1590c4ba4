// swift-tools-version:6.0
import PackageDescription

// Targets are split by dependency weight:
//   CBLAS, CZlib      system libraries (OpenBLAS, zlib)
//   CKernels          C inner loops, one variant per x86-64 level, chosen at load
//   LGTensor          numeric core: tensors, kernels, autodiff, optimisers, RNG
//   LGModelIO         model files: PyTorch .pth/.tar, safetensors, .npy, PNG
//   LGModels          the networks (DCGAN, PGGAN, StyleGAN, StyleGAN2, UNet)
//   LGSemantics       semantic extractors (LSE, NSE-1, NSE-2), losses, mIoU
//   LGJobs            model registry (configs/) and the train / train_fewshot / evaluate jobs
//   worker, lg-bench  thin executables
let package = Package(
    name: "LinearGAN",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "worker", targets: ["worker"]),
        .executable(name: "lg-bench", targets: ["lg-bench"]),
        .executable(name: "coordinator", targets: ["coordinator"]),
        .executable(name: "collector", targets: ["collector"]),
        .executable(name: "lg-queue-bench", targets: ["lg-queue-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // SHA-256, HMAC and HKDF for the queue protocol and file digests.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // HTTP for the coordinator's dashboard (docs/dashboard.md) and the worker's studio (docs/studio.md).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib",
                       providers: [.apt(["zlib1g-dev"])]),
        // Built with the default -O: shape preconditions stay in release builds.
        // The numeric core's non-GEMM inner loops in C, compiled per x86-64
        // level (baseline, AVX2, AVX-512) and chosen once at load from the CPU.
        .target(name: "CKernels", path: "Sources/CKernels",
                cSettings: [.unsafeFlags(["-O2", "-ffp-contract=off"])]),
        .target(name: "LGTensor", dependencies: ["CBLAS", "CKernels"]),
        .target(name: "LGCodec", dependencies: ["CZlib"]),
        .target(name: "LGModelIO", dependencies: ["LGTensor", "LGCodec", "CZlib"]),
        .target(name: "LGModels", dependencies: ["LGTensor", "LGModelIO", "LGCatalog"]),
        .target(name: "LGSemantics", dependencies: ["LGTensor", "LGModelIO", "LGModels"]),
        // The model registry over configs/ (names, files, weight search): Foundation only,
        // so the coordinator checks a grid's weights without numeric code.
        .target(name: "LGCatalog", dependencies: ["LGWire"]),
        // The job kinds: one enum and per kind one table of parameters (type,
        // default, allowed values, --set), presets and metric keys. Light
        // (Foundation + LGWire): grid expansion, the worker, the collector use it.
        .target(name: "LGJobKinds", dependencies: ["LGWire"]),
        // Jobs (train, train_fewshot, evaluate) and loading registered models.
        .target(name: "LGJobs", dependencies: ["LGCatalog", "LGJobKinds", "LGTensor", "LGModelIO", "LGModels", "LGSemantics", "LGFaceLandmarks",
                                        "LGDigest"]),
        // dlib's face detector and landmark model behind a C interface (libdlib-dev).
        .target(name: "CDlibShim", path: "Sources/CDlibShim",
                cxxSettings: [.unsafeFlags(["-O2"])],
                linkerSettings: [.linkedLibrary("dlib")]),
        // The landmark face parser (a SegmentationPredictor) for the DCGAN faces.
        .target(name: "LGFaceLandmarks", dependencies: ["LGTensor", "LGModelIO", "LGModels", "CDlibShim"]),
        // Procedural domains (toyface, toybedroom, toychurch) with exact label maps.
        .target(name: "LGDomains", dependencies: ["LGTensor"]),
        // GAN training (discriminators, losses, EMA, resumable trainer) for the embedded zoo.
        .target(name: "LGGANTraining", dependencies: ["LGTensor", "LGModelIO", "LGModels"]),
        // The embedded zoo: domain segmenters, GAN training jobs over the domains.
        .target(name: "LGZoo", dependencies: ["LGTensor", "LGModelIO", "LGModels", "LGSemantics", "LGJobs", "LGDomains", "LGGANTraining"]),
        // Semantic-conditional sampling and semantic image editing (latent optimisation).
        .target(name: "LGManipulation", dependencies: ["LGTensor", "LGModelIO", "LGModels", "LGSemantics", "LGJobKinds"]),
        // The worker's interactive studio: /edit (semantic editing by strokes) and
        // /train (few-shot LSE training by painting) over HTTP, pages served from the binary.
        .target(name: "LGStudio", dependencies: [
            "LGTensor", "LGModelIO", "LGModels", "LGSemantics", "LGJobs", "LGManipulation",
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),
        .executableTarget(name: "worker", dependencies: [
            "LGTensor", "LGModelIO", "LGModels", "LGSemantics", "LGJobs", "LGJobKinds", "LGNet", "LGRunner", "LGManipulation", "LGWire", "LGFaceLandmarks", "LGDomains", "LGZoo", "LGStudio",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),
        .executableTarget(name: "lg-bench", dependencies: ["LGTensor", "LGModels", "LGSemantics", "LGGANTraining", "LGJobs",
                                                        .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        // The distributed runner (docs/protocol.md). Light: SQLite + Foundation only,
        // no numeric code, so the queue builds and tests in seconds.
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite",
                       providers: [.apt(["libsqlite3-dev"])]),
        // What crosses the wire (claimed jobs, artifacts, lease outcomes, JSON
        // values, worker info): no SQLite, so the worker does not link it.
        .target(name: "LGWire"),
        .target(name: "LGStore", dependencies: ["CSQLite", "LGWire"]),
        .target(name: "LGGrid", dependencies: ["LGStore", "LGJobKinds"]),
        .target(name: "LGDigest", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "LGNet", dependencies: ["LGWire", "LGDigest", .product(name: "Crypto", package: "swift-crypto")]),
        // swift-log set-up from --log-level / --log-format (text or JSON lines).
        .target(name: "LGLogging", dependencies: [
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Workers on Slurm: the batch script, sbatch/squeue, the adapt loop.
        .target(name: "LGCluster"),
        .target(name: "LGDaemon", dependencies: ["LGStore", "LGNet", .product(name: "Logging", package: "swift-log")]),
        .target(name: "LGRunner", dependencies: ["LGNet", "LGLogging", "LGJobKinds", .product(name: "Logging", package: "swift-log"),
                                                 .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .target(name: "LGReports", dependencies: ["LGStore", "LGJobKinds", "LGCodec"]),
        // The coordinator's web dashboard, JSON API and /metrics (docs/dashboard.md, docs/http-api.md).
        .target(name: "LGDashboard", dependencies: [
            "LGStore", "LGReports",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "coordinator", dependencies: [
            "LGStore", "LGGrid", "LGNet", "LGDaemon", "LGLogging", "LGCluster", "LGCatalog", "LGDashboard", "LGJobKinds",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "collector", dependencies: [
            "LGStore", "LGReports", "LGLogging",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "lg-queue-bench", dependencies: ["LGStore", "LGNet", "LGDaemon",
                                                                 .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        // The connect loop with only the queue's test job kind: run by the live tests.
        .executableTarget(name: "lg-queue-worker", dependencies: ["LGNet", "LGRunner",
                                                                  .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        // Fuzz targets over every reader of untrusted bytes (scripts/fuzz.sh, docs/testing.md).
        .target(name: "LGFuzz", dependencies: ["LGStore", "LGNet", "LGGrid", "LGModelIO"]),
        .executableTarget(name: "lg-fuzz", dependencies: ["LGFuzz"]),
        .testTarget(name: "LGFuzzTests", dependencies: ["LGFuzz"]),
        .testTarget(name: "LGQueueTests", dependencies: [
            "LGStore", "LGGrid", "LGNet", "LGDaemon", "LGRunner", "LGReports", "LGLogging", "LGCluster", "LGJobKinds", "LGCodec",
        ]),
        // The kinds' tables against their executors (decoding every kind's options).
        .testTarget(name: "LGJobKindsTests", dependencies: [
            "LGJobKinds", "LGJobs", "LGZoo", "LGManipulation", "LGRunner", "LGGrid", "LGStore", "LGWire",
        ]),
        .testTarget(name: "LGDashboardTests", dependencies: [
            "LGDashboard", "LGStore", "LGReports",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
        .testTarget(name: "LGTensorTests", dependencies: ["LGTensor"]),
        .testTarget(name: "WorkerCLITests", dependencies: ["worker", "lg-bench", "LGTensor"]),
        .testTarget(name: "LGModelIOTests", dependencies: ["LGModelIO", "LGCodec"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "LGModelsTests", dependencies: ["LGModels", "LGModelIO"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "LGSemanticsTests", dependencies: ["LGSemantics", "LGModelIO"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "LGManipulationTests", dependencies: ["LGManipulation", "LGSemantics", "LGModels", "LGModelIO", "LGTensor"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "LGFaceLandmarksTests", dependencies: ["LGFaceLandmarks", "LGModelIO", "LGModels", "LGTensor"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "LGZooTests", dependencies: ["LGZoo", "LGDomains", "LGModels", "LGModelIO", "LGTensor", "LGJobs", "LGJobKinds", "LGGANTraining"]),
        .testTarget(name: "LGStudioTests", dependencies: [
            "LGStudio", "LGManipulation", "LGSemantics", "LGModels", "LGModelIO", "LGCodec", "LGTensor", "LGJobs", "LGZoo",
            .product(name: "HummingbirdTesting", package: "hummingbird"),
        ]),
        .testTarget(name: "LGDomainsTests", dependencies: ["LGDomains", "LGTensor"]),
        .testTarget(name: "LGGANTrainingTests", dependencies: ["LGGANTraining", "LGModels", "LGModelIO", "LGTensor"]),
        .testTarget(name: "LGJobsTests", dependencies: ["LGJobs", "LGJobKinds", "LGSemantics", "LGModels", "LGModelIO", "LGDigest"],
                    resources: [.copy("Fixtures")]),
    ],
    cxxLanguageStandard: .cxx17
)
