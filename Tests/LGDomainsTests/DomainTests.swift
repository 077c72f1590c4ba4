import XCTest
import LGDomains
import LGTensor

/// Per-class statistics over many samples of a domain.
struct ClassStats {
    var pixelFraction: [Double]
    var presentFraction: [Double]

    init(_ d: any RenderedDomain, resolution: Int, seeds: Range<UInt64>) {
        let k = d.classNames.count
        var pixels = [Int](repeating: 0, count: k), present = [Int](repeating: 0, count: k)
        for seed in seeds {
            let s = d.render(resolution: resolution, seed: seed)
            var seen = [Bool](repeating: false, count: k)
            for l in s.labels { pixels[Int(l)] += 1; seen[Int(l)] = true }
            for c in 0..<k where seen[c] { present[c] += 1 }
        }
        let total = Double(seeds.count * resolution * resolution)
        pixelFraction = pixels.map { Double($0) / total }
        presentFraction = present.map { Double($0) / Double(seeds.count) }
    }
}

final class RenderedSampleTests: XCTestCase {
    func testSampleChecksItsSizes() {
        let s = RenderedSample(image: [Float](repeating: 0, count: 12), labels: [0, 0, 0, 0], resolution: 2)
        XCTAssertEqual(s.resolution, 2)
    }
}

final class DomainRegistryTests: XCTestCase {
    func testNamesAndClassLists() throws {
        XCTAssertEqual(Domains.all.map(\.name), ["toyface", "toybedroom", "toychurch"])
        XCTAssertEqual(try Domains.named("toyface").classNames,
                       ["background", "skin", "hair", "eye", "brow", "nose", "mouth", "upper_lip", "lower_lip",
                        "ear", "neck", "cloth", "hat", "glasses"])
        XCTAssertEqual(try Domains.named("toybedroom").classNames,
                       ["wall", "floor", "ceiling", "bed", "pillow", "window", "curtain", "painting", "lamp", "table"])
        XCTAssertEqual(try Domains.named("toychurch").classNames,
                       ["sky", "building", "roof", "tree", "grass", "road", "sidewalk", "person", "cloud"])
    }

    func testUnknownNameListsKnownNames() {
        XCTAssertThrowsError(try Domains.named("toycat")) { error in
            guard let e = error as? DomainError else { return XCTFail("not a DomainError: \(error)") }
            XCTAssertEqual(e, .unknownDomain("toycat", known: ["toyface", "toybedroom", "toychurch"]))
            XCTAssertTrue(e.description.contains("toycat"))
            XCTAssertTrue(e.description.contains("toyface, toybedroom, toychurch"))
        }
    }
}

final class DomainRenderingTests: XCTestCase {
    func testSameSeedSameSampleDifferentSeedsDiffer() {
        for d in Domains.all {
            let a = d.render(resolution: 48, seed: 7), b = d.render(resolution: 48, seed: 7)
            XCTAssertEqual(a.image, b.image, d.name)
            XCTAssertEqual(a.labels, b.labels, d.name)
            let c = d.render(resolution: 48, seed: 8)
            let changed = zip(a.image, c.image).filter { abs($0 - $1) > 0.05 }.count
            XCTAssertGreaterThan(Double(changed) / Double(a.image.count), 0.3, "\(d.name): seeds 7 and 8 look alike")
            XCTAssertNotEqual(a.labels, c.labels, d.name)
        }
    }

    func testLabelsInRangeAndImagesWithinUnitRange() {
        for d in Domains.all {
            for res in [16, 33, 64, 128] {
                for seed: UInt64 in 0..<(res == 128 ? 3 : 20) {
                    let s = d.render(resolution: res, seed: seed)
                    XCTAssertEqual(s.resolution, res)
                    XCTAssertEqual(s.image.count, 3 * res * res)
                    XCTAssertTrue(s.labels.allSatisfy { $0 >= 0 && Int($0) < d.classNames.count }, "\(d.name) \(res) px seed \(seed)")
                    XCTAssertTrue(s.image.allSatisfy { $0.isFinite && $0 >= -1 && $0 <= 1 }, "\(d.name) \(res) px seed \(seed)")
                }
            }
        }
    }

    func testBatchMatchesSingleRenders() {
        let d = ToyChurch()
        let (images, labels) = d.batch(resolution: 32, seeds: [3, 11])
        XCTAssertEqual(images.shape, [2, 3, 32, 32])
        XCTAssertEqual(labels.shape, [2, 32, 32])
        let second = d.render(resolution: 32, seed: 11)
        XCTAssertEqual(Array(images.data[(3 * 32 * 32)...]), second.image)
        XCTAssertEqual(Array(labels.data[(32 * 32)...]), second.labels)
    }

    /// Every class appears; frequent classes cover sensible fractions; rare classes are rare.
    func testClassCoverageOver300Samples() {
        let face = ClassStats(ToyFace(), resolution: 64, seeds: 0..<300)
        let bedroom = ClassStats(ToyBedroom(), resolution: 64, seeds: 0..<300)
        let church = ClassStats(ToyChurch(), resolution: 64, seeds: 0..<300)
        for (d, st) in [("toyface", face), ("toybedroom", bedroom), ("toychurch", church)] {
            let names = try! Domains.named(d).classNames
            for (c, p) in st.presentFraction.enumerated() {
                XCTAssertGreaterThan(p, 0, "\(d): class \(names[c]) never appears in 300 samples")
            }
        }
        // toyface: pixel fractions of the large classes, presence of the small ones
        let fr = face.pixelFraction, pr = face.presentFraction
        XCTAssert((0.15...0.6).contains(fr[0]), "background \(fr[0])")
        XCTAssert((0.12...0.4).contains(fr[1]), "skin \(fr[1])")
        XCTAssert((0.05...0.35).contains(fr[2]), "hair \(fr[2])")
        XCTAssert((0.01...0.1).contains(fr[10]), "neck \(fr[10])")
        XCTAssert((0.03...0.3).contains(fr[11]), "cloth \(fr[11])")
        for c in [3, 4, 5, 7, 8] { XCTAssertGreaterThan(pr[c], 0.9, "face class \(c) present in \(pr[c])") }
        for c in [3, 4, 5, 6, 7, 8, 9] { XCTAssert((0.0005...0.03).contains(fr[c]), "face class \(c) covers \(fr[c])") }
        XCTAssert((0.3...0.75).contains(pr[6]), "open mouths in \(pr[6]) of samples")
        XCTAssert((0.07...0.25).contains(pr[12]), "hats in \(pr[12]) of samples")
        XCTAssert((0.07...0.25).contains(pr[13]), "glasses in \(pr[13]) of samples")
        // toybedroom
        let bf = bedroom.pixelFraction, bp = bedroom.presentFraction
        XCTAssert((0.2...0.6).contains(bf[0]), "wall \(bf[0])")
        XCTAssert((0.1...0.45).contains(bf[1]), "floor \(bf[1])")
        XCTAssert((0.02...0.25).contains(bf[2]), "ceiling \(bf[2])")
        XCTAssert((0.05...0.35).contains(bf[3]), "bed \(bf[3])")
        XCTAssertGreaterThan(bp[3], 0.9, "bed present in \(bp[3])")
        for c in 4...9 { XCTAssertGreaterThan(bp[c], 0.25, "bedroom class \(c) present in \(bp[c])") }
        // toychurch
        let cf = church.pixelFraction, cp = church.presentFraction
        XCTAssert((0.15...0.7).contains(cf[0] + cf[8]), "sky and cloud \(cf[0] + cf[8])")
        XCTAssert((0.05...0.45).contains(cf[1]), "building \(cf[1])")
        XCTAssert((0.05...0.45).contains(cf[4]), "grass \(cf[4])")
        XCTAssert((0.01...0.3).contains(cf[3]), "tree \(cf[3])")
        XCTAssertGreaterThan(cp[1], 0.95, "building present in \(cp[1])")
        XCTAssertGreaterThan(cp[2], 0.6, "roof present in \(cp[2])")
        for c in [3, 5, 6, 7, 8] { XCTAssertGreaterThan(cp[c], 0.2, "church class \(c) present in \(cp[c])") }
    }

    /// Regions are shaded and textured, not flat: the pixel spread within each
    /// class region, averaged over samples, is clearly above zero.
    func testRegionsAreNotFlat() {
        for d in Domains.all {
            let k = d.classNames.count
            var sum = [Double](repeating: 0, count: k), n = [Int](repeating: 0, count: k)
            for seed: UInt64 in 0..<40 {
                let s = d.render(resolution: 64, seed: seed)
                let hw = 64 * 64
                for c in 0..<k {
                    let idx = (0..<hw).filter { s.labels[$0] == Int32(c) }
                    guard idx.count >= 30 else { continue }
                    var std = 0.0
                    for ch in 0..<3 {
                        let v = idx.map { Double(s.image[ch * hw + $0]) }
                        let m = v.reduce(0, +) / Double(v.count)
                        std += (v.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(v.count)).squareRoot()
                    }
                    sum[c] += std / 3; n[c] += 1
                }
            }
            for c in 0..<k where n[c] >= 5 {
                XCTAssertGreaterThan(sum[c] / Double(n[c]), 0.03, "\(d.name): class \(d.classNames[c]) is flat")
            }
        }
    }

    /// Shapes live in normalised coordinates: labels at 32 px agree with the
    /// 2x2 blocks at 64 px, and class fractions match.
    func testResolutionScaling() {
        for d in Domains.all {
            let k = d.classNames.count
            var agree = 0, total = 0
            var f32 = [Double](repeating: 0, count: k), f64 = [Double](repeating: 0, count: k)
            for seed: UInt64 in 100..<140 {
                let a = d.render(resolution: 32, seed: seed), b = d.render(resolution: 64, seed: seed)
                for y in 0..<32 {
                    for x in 0..<32 {
                        let l = a.labels[y * 32 + x]
                        let block = [b.labels[(2 * y) * 64 + 2 * x], b.labels[(2 * y) * 64 + 2 * x + 1],
                                     b.labels[(2 * y + 1) * 64 + 2 * x], b.labels[(2 * y + 1) * 64 + 2 * x + 1]]
                        if block.contains(l) { agree += 1 }
                        total += 1
                        f32[Int(l)] += 1
                    }
                }
                for l in b.labels { f64[Int(l)] += 0.25 }
            }
            XCTAssertGreaterThan(Double(agree) / Double(total), 0.97, "\(d.name): 32 px labels disagree with 64 px")
            for c in 0..<k {
                XCTAssertEqual(f32[c] / Double(total), f64[c] / Double(total), accuracy: 0.01, "\(d.name) class \(d.classNames[c])")
            }
        }
    }
}
