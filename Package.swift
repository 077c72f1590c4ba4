// swift-tools-version:6.0
import PackageDescription

// Targets are split by dependency weight:
//   CBLAS, CZlib      system libraries (OpenBLAS, zlib)
//   LGTensor          numeric core: tensors, kernels, autodiff, optimisers, RNG
//   LGModelIO         model files: PyTorch .pth/.tar, safetensors, .npy, PNG
//   LGModels          the networks (DCGAN, PGGAN, StyleGAN, StyleGAN2, UNet)
//   LGSemantics       semantic extractors (LSE, NSE-1, NSE-2), losses, mIoU
//   worker, lg-bench  thin executables
let package = Package(
    name: "LinearGAN",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "worker", targets: ["worker"]),
        .executable(name: "lg-bench", targets: ["lg-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .target(name: "LGTensor", dependencies: ["CBLAS"],
                swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]),
        .target(name: "LGModelIO", dependencies: ["LGTensor", "CZlib"]),
        .target(name: "LGModels", dependencies: ["LGTensor", "LGModelIO"]),
        .target(name: "LGSemantics", dependencies: ["LGTensor", "LGModelIO", "LGModels"]),
        .executableTarget(name: "worker", dependencies: [
            "LGTensor", "LGModelIO", "LGModels", "LGSemantics",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "lg-bench", dependencies: ["LGTensor", "LGModels"]),
        .testTarget(name: "LGTensorTests", dependencies: ["LGTensor"]),
        .testTarget(name: "LGModelIOTests", dependencies: ["LGModelIO"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "LGModelsTests", dependencies: ["LGModels", "LGModelIO"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "LGSemanticsTests", dependencies: ["LGSemantics", "LGModelIO"],
                    resources: [.copy("Fixtures")]),
    ]
)
