import Foundation

/// `toyface`: CelebAMask-HQ-like head-and-shoulders portraits.
///
/// The random parameters of one portrait (`FaceParams`) are drawn first
/// from the seed; `FacePainter` (ToyFacePainter.swift) then draws them back
/// to front in a face-local frame (u right, v down, unit = half the head's
/// width, origin between the eyes and the mouth) that is rotated (roll),
/// scaled and placed in the image. Yaw and pitch shift the inner features
/// against the outline and hide one ear.
public struct ToyFace: RenderedDomain {
    public let name = "toyface"
    public let classNames = ["background", "skin", "hair", "eye", "brow", "nose", "mouth",
                             "upper_lip", "lower_lip", "ear", "neck", "cloth", "hat", "glasses"]

    public init() {}

    public func render(resolution: Int, seed: UInt64) -> RenderedSample {
        precondition(resolution >= 1, "resolution must be positive")
        var r = SeededRandomSource(seed: seed, salt: 0xFACE)
        let p = FaceParams(&r)
        var canvas = Canvas(size: resolution)
        FacePainter(p: p).paint(&canvas)
        var grain = Noise(seed: r.u32())
        return canvas.sample(grain: p.grain, rng: &grain, contrast: p.contrast, gamma: p.gamma)
    }
}

/// Class indices of `toyface`.
enum FaceClass {
    static let background: Int32 = 0, skin: Int32 = 1, hair: Int32 = 2, eye: Int32 = 3, brow: Int32 = 4
    static let nose: Int32 = 5, mouth: Int32 = 6, upperLip: Int32 = 7, lowerLip: Int32 = 8, ear: Int32 = 9
    static let neck: Int32 = 10, cloth: Int32 = 11, hat: Int32 = 12, glasses: Int32 = 13
}

enum HairStyle: CaseIterable { case short, long, bob, bun, curly, buzz }
enum HatStyle { case beanie, brimmed, cap }
enum BackgroundStyle { case blotches, bokeh, panels, outdoor }

struct FaceParams {
    // placement and pose
    var frame: Frame2D
    var yaw: Float, pitch: Float
    // outline
    var topRadius: Float, bottomRadius: Float, jaw: Float, cheek: Float
    // colours and light
    var skin: RGB, lip: RGB, hair: RGB, brow: RGB, iris: RGB
    var light: Vec3, lightStrength: Float, tint: RGB
    // hair
    var hairStyle: HairStyle, hairLength: Float, hairVolume: Float
    var hairline: Float, hairlineCurve: Float, parting: Float, bangs: Bool
    // features
    var eyeV: Float, eyeSpacing: Float, eyeRx: Float, eyeRy: Float, eyeTilt: Float, gaze: Float
    var browGap: Float, browThickness: Float, browArch: Float
    var noseBottom: Float, noseWidth: Float
    var mouthV: Float, mouthWidth: Float, upperLip: Float, lowerLip: Float, mouthOpen: Float, smile: Float, teeth: Bool
    var earSize: Float
    // neck, clothing, accessories
    var neckWidth: Float
    var cloth: RGB, cloth2: RGB, clothPattern: Int, neckline: Int, shoulderWidth: Float
    var hat: HatStyle?, hatColor: RGB, hatColor2: RGB
    var glasses: Bool, glassesRound: Bool, sunglasses: Bool, frameColor: RGB
    // background
    var background: BackgroundStyle, bgA: RGB, bgB: RGB, bgAngle: Float, bgBlobs: [(SIMD2<Float>, Float, RGB)]
    var noise: UInt32
    // finishing
    var grain: Float, contrast: Float, gamma: Float

    init(_ r: inout SeededRandomSource) {
        let scale = r.range(0.22, 0.3)
        frame = Frame2D(cx: 0.5 + r.normal(0, 0.035), cy: 0.47 + r.normal(0, 0.03) + (0.22 - scale) * 0.6,
                        scale: scale, angle: r.normal(0, 0.11))
        yaw = max(-0.5, min(0.5, r.normal(0, 0.22)))
        pitch = r.range(-0.12, 0.12)
        topRadius = r.range(1.2, 1.35)
        bottomRadius = r.range(1.3, 1.5)
        jaw = r.range(0.08, 0.4)
        cheek = r.range(0.95, 1.05)

        let tone = pow(r.unit(), 1.4)
        skin = r.jitter(mix(RGB(0.96, 0.80, 0.68), RGB(0.36, 0.22, 0.14), tone), std: 0.025, brightness: 0.04)
        lip = clamp01(mix(skin, RGB(0.72, 0.28, 0.3), r.range(0.3, 0.65)) * r.range(0.8, 1.0))
        switch r.weighted([3, 3, 2, 1.2, 1, 1, 0.3]) {
        case 0: hair = r.jitter(RGB(0.07, 0.05, 0.04), std: 0.015)
        case 1: hair = r.jitter(RGB(0.25, 0.15, 0.08), std: 0.03)
        case 2: hair = r.jitter(RGB(0.45, 0.30, 0.16), std: 0.04)
        case 3: hair = r.jitter(RGB(0.85, 0.70, 0.45), std: 0.05)
        case 4: hair = r.jitter(RGB(0.60, 0.25, 0.10), std: 0.04)
        case 5: hair = r.jitter(gray(0.7), std: 0.03)
        default: hair = r.hsv(h: 0.5...0.95, s: 0.5...0.8, v: 0.5...0.8)
        }
        brow = clamp01(mix(hair, RGB(0.1, 0.07, 0.05), 0.45))
        iris = r.pick([RGB(0.3, 0.18, 0.08), RGB(0.15, 0.1, 0.06), RGB(0.3, 0.45, 0.65), RGB(0.35, 0.45, 0.3), gray(0.45)])
        light = normalize(Vec3(r.range(-0.9, 0.9), r.range(-0.7, 0.1), r.range(0.5, 1.0)))
        lightStrength = r.range(0.25, 0.6)
        tint = r.jitter(RGB(1, 0.98, 0.95), std: 0.04)

        hairStyle = HairStyle.allCases[r.weighted([3, 3, 2, 1, 1.2, 0.8])]
        hairLength = r.range(1.6, 3.2)
        hairVolume = r.range(1.06, 1.22)
        hairline = r.range(-0.85, -0.6)
        hairlineCurve = r.range(0.15, 0.5)
        parting = r.range(-0.6, 0.6)
        bangs = r.chance(0.3)

        eyeV = r.range(-0.3, -0.16)
        eyeSpacing = r.range(0.36, 0.46)
        eyeRx = r.range(0.15, 0.2)
        eyeRy = r.range(0.06, 0.09)
        eyeTilt = r.range(-0.04, 0.06)
        gaze = r.normal(0, 0.03)
        browGap = r.range(0.17, 0.26)
        browThickness = r.range(0.045, 0.09)
        browArch = r.range(0.02, 0.08)
        noseBottom = r.range(0.22, 0.34)
        noseWidth = r.range(0.15, 0.24)
        mouthV = r.range(0.56, 0.7)
        mouthWidth = r.range(0.28, 0.44)
        upperLip = r.range(0.055, 0.09)
        lowerLip = r.range(0.07, 0.12)
        mouthOpen = r.chance(0.5) ? 0 : r.range(0.04, 0.16)
        smile = r.range(-0.02, 0.07)
        teeth = r.chance(0.7)
        earSize = r.range(0.9, 1.15)

        neckWidth = r.range(0.48, 0.64)
        cloth = r.chance(0.35) ? r.jitter(gray(r.range(0.1, 0.9)), std: 0.03) : r.hsv(h: 0...1, s: 0.3...0.9, v: 0.25...0.9)
        cloth2 = r.chance(0.5) ? gray(r.range(0.8, 0.95)) : r.hsv(h: 0...1, s: 0.2...0.8, v: 0.2...0.9)
        clothPattern = r.weighted([3, 1, 1, 1])
        neckline = r.int(0..<3)
        shoulderWidth = r.range(1.9, 2.6)
        hat = r.chance(0.15) ? r.pick([HatStyle.beanie, .brimmed, .cap]) : nil
        hatColor = r.hsv(h: 0...1, s: 0.2...0.9, v: 0.2...0.85)
        hatColor2 = r.hsv(h: 0...1, s: 0.1...0.6, v: 0.5...0.95)
        glasses = r.chance(0.15)
        glassesRound = r.chance(0.5)
        sunglasses = r.chance(0.3)
        frameColor = r.pick([gray(0.05), RGB(0.35, 0.2, 0.1), gray(0.6), RGB(0.6, 0.5, 0.2)])

        background = r.pick([BackgroundStyle.blotches, .bokeh, .panels, .outdoor])
        switch background {
        case .outdoor:
            bgA = r.hsv(h: 0.2...0.4, s: 0.3...0.7, v: 0.3...0.7)
            bgB = r.hsv(h: 0.5...0.65, s: 0.2...0.6, v: 0.6...0.95)
        default:
            bgA = r.hsv(h: 0...1, s: 0...0.6, v: 0.15...0.95)
            bgB = r.chance(0.5) ? clamp01(bgA * r.range(0.5, 1.3)) : r.hsv(h: 0...1, s: 0...0.6, v: 0.15...0.95)
        }
        bgAngle = r.range(0, 2 * .pi)
        var blobs: [(SIMD2<Float>, Float, RGB)] = []
        for _ in 0..<r.int(5..<14) {
            blobs.append((SIMD2(r.unit(), r.unit()), r.range(0.03, 0.12), clamp01(mix(bgA, RGB(1, 0.95, 0.8), r.range(0.2, 0.8)))))
        }
        bgBlobs = blobs
        noise = r.u32()
        grain = r.range(0.01, 0.05)
        contrast = r.range(0.85, 1.12)
        gamma = r.range(0.85, 1.15)
    }
}
