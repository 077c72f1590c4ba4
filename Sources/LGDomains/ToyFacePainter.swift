import Foundation

/// Draws one `toyface` portrait back to front in the face-local frame:
/// background, hair behind the head, neck, clothing, ears, side locks,
/// face, fringe, nose, mouth, eyes, brows, glasses, hat.
struct FacePainter {
    let p: FaceParams
    let n: Noise
    /// Horizontal shift of the hair mass and the feature shift from yaw.
    let hx: Float, fu: Float, fv: Float

    init(p: FaceParams) {
        self.p = p
        n = Noise(seed: p.noise)
        hx = -p.yaw * 0.12
        fu = p.yaw * 0.33
        fv = p.pitch * 0.3
    }

    // MARK: drawing helpers in local coordinates

    func draw(_ c: inout Canvas, _ u0: Float, _ v0: Float, _ u1: Float, _ v1: Float, _ label: Int32?,
              inside: (SIMD2<Float>) -> Bool, paint: (SIMD2<Float>, RGB) -> RGB) {
        let f = p.frame
        c.fill(f.box(u0, v0, u1, v1), label: label,
               inside: { x, y in inside(f.local(x, y)) },
               paint: { x, y, under in paint(f.local(x, y), under) })
    }

    func drawSoft(_ c: inout Canvas, _ u0: Float, _ v0: Float, _ u1: Float, _ v1: Float, _ label: Int32?,
                  field: (SIMD2<Float>) -> Float, paint: (SIMD2<Float>, RGB) -> RGB) {
        let f = p.frame
        c.fillSoft(f.box(u0, v0, u1, v1), label: label, softness: 1.2 * c.pixel / f.scale,
                   field: { x, y in field(f.local(x, y)) },
                   paint: { x, y, under in paint(f.local(x, y), under) })
    }

    /// Lambert shading of the head as an ellipsoid (1 - strength ... 1 + strength/2).
    func headShade(_ q: SIMD2<Float>) -> Float {
        let a = min(1, max(-1, (q.x + p.yaw * 0.35) / 1.15)), b = min(1, max(-1, q.y / 1.6))
        let z = max(0, 1 - a * a - b * b).squareRoot()
        let lambert = max(0, a * p.light.x + b * p.light.y + z * p.light.z)
        return (1 - p.lightStrength) + p.lightStrength * 1.25 * lambert
    }

    /// > 0 inside the face outline.
    func faceField(_ q: SIMD2<Float>) -> Float {
        let t = q.y < 0 ? q.y / p.topRadius : q.y / p.bottomRadius
        let w = p.cheek * (q.y > 0 ? max(0.2, 1 - p.jaw * t * t) : 1)
        let a = q.x / w
        return 1 - (a * a + t * t)
    }

    func skinColor(_ q: SIMD2<Float>) -> RGB {
        let tex = 0.94 + 0.12 * n.fbm(q.x, q.y, freq: 6, octaves: 2)
        var c = p.skin * (headShade(q) * tex)
        // cheeks
        for s: Float in [-1, 1] {
            let d = ellipseField(q, SIMD2(s * 0.55 + fu, 0.25 + fv), 0.3, 0.2)
            if d > 0 { c = mix(c, c * RGB(1.08, 0.9, 0.88), d * 0.5) }
        }
        return c * p.tint
    }

    func hairColor(_ q: SIMD2<Float>) -> RGB {
        let du = q.x - hx
        let strands = n.value(du * 26 + 2.5 * sinf(q.y * 1.7), q.y * 2.5 + 40)
        let clumps = n.fbm(q.x + 10, q.y, freq: 3, octaves: 2)
        var c = p.hair * (0.6 + 0.45 * strands + 0.35 * clumps)
        let sheen = expf(-powf((q.y + 0.75) * 2.6, 2)) * p.lightStrength * 0.5
        c += RGB(0.9, 0.85, 0.8) * sheen * (0.3 + 0.7 * strands) * (0.3 + p.hair.x)
        return c * headShade(q) * p.tint
    }

    // MARK: hair shapes

    func hairBackField(_ q: SIMD2<Float>) -> Float {
        let vol = p.hairVolume
        let wob = (n.fbm(q.x * 2 + 5, q.y * 2, freq: 1.5, octaves: 2) - 0.5)
        let cap = ellipseField(q, SIMD2(hx, -0.25), vol * p.cheek, (p.topRadius - 0.25) * vol + 0.05)
        let du = abs(q.x - hx)
        switch p.hairStyle {
        case .short, .buzz:
            let v: Float = p.hairStyle == .buzz ? 1.0 : 1.04
            return min(ellipseField(q, SIMD2(hx, -0.2), v * p.cheek, p.topRadius - 0.15), (0.05 - q.y) * 3) + wob * 0.06
        case .long, .bob:
            let len: Float = p.hairStyle == .long ? p.hairLength : 0.75
            let w = vol * 1.02 + 0.12 * max(0, q.y + 0.3)
            let curtain = min(1 - du / w, min((q.y + 0.6) * 2, (len - q.y) * 1.5))
            return max(cap, curtain) + wob * 0.12
        case .bun:
            let bun = ellipseField(q, SIMD2(hx + 0.15, -p.topRadius - 0.15), 0.42, 0.36)
            return max(cap, bun) + wob * 0.06
        case .curly:
            return ellipseField(q, SIMD2(hx, -0.35), 1.5 * vol, 1.55 * vol) + (wob - 0.1) * 0.5
        }
    }

    /// A local box holding the hair behind the head (field > 0 only inside).
    var hairBackBounds: (Float, Float, Float, Float) {
        let vol = p.hairVolume
        switch p.hairStyle {
        case .short, .buzz: return (hx - 1.2, -p.topRadius - 0.1, hx + 1.2, 0.15)
        case .long: return (hx - vol * 1.05 - 0.12 * (p.hairLength + 0.3) - 0.1, -p.topRadius * vol - 0.2, hx + vol * 1.05 + 0.12 * (p.hairLength + 0.3) + 0.1, p.hairLength + 0.2)
        case .bob: return (hx - vol * 1.05 - 0.25, -p.topRadius * vol - 0.2, hx + vol * 1.05 + 0.25, 1.0)
        case .bun: return (hx - vol - 0.2, -p.topRadius - 0.75, hx + vol + 0.2, 0.2)
        case .curly: return (hx - 1.5 * vol - 0.2, -0.35 - 1.55 * vol - 0.2, hx + 1.5 * vol + 0.2, -0.35 + 1.55 * vol + 0.2)
        }
    }

    func hairlineAt(_ u: Float) -> Float {
        let du = u - hx
        var h = p.hairline + p.hairlineCurve * du * du + 0.08 * (u - p.parting)
        if p.bangs { h += 0.25 + 0.03 * sinf(u * 23) }
        if p.hairStyle == .buzz { h -= 0.08 }
        return h
    }

    // MARK: painting

    func paint(_ c: inout Canvas) {
        paintBackground(&c)
        let hb = hairBackBounds
        drawSoft(&c, hb.0, hb.1, hb.2, hb.3, FaceClass.hair, field: { hairBackField($0) }, paint: { q, _ in hairColor(q) * 0.8 })
        paintNeckAndCloth(&c)
        paintEars(&c)
        if [.long, .bob, .curly].contains(p.hairStyle) {
            let nw = p.neckWidth + 0.05
            drawSoft(&c, hb.0, -0.6, hb.2, hb.3, FaceClass.hair, field: { q in
                min(hairBackField(q), min((abs(q.x - hx) - nw) * 4, (q.y + 0.4) * 4))
            }, paint: { q, _ in hairColor(q) })
        }
        draw(&c, -1.2, -p.topRadius, 1.2, p.bottomRadius, FaceClass.skin,
             inside: { faceField($0) > 0 }, paint: { q, _ in skinColor(q) })
        // fringe over the forehead
        drawSoft(&c, -1.3, -p.topRadius - 0.2, 1.3, 0.6, FaceClass.hair, field: { q in
            min((faceField(q) + 0.1) * 2, hairlineAt(q.x) - q.y)
        }, paint: { q, _ in hairColor(q) })
        paintNose(&c)
        paintMouth(&c)
        if p.glasses && !p.sunglasses { paintGlasses(&c) }
        paintEyes(&c)
        paintBrows(&c)
        if p.glasses && p.sunglasses { paintGlasses(&c) }
        if let hat = p.hat { paintHat(&c, hat) }
    }

    func paintBackground(_ c: inout Canvas) {
        let dir = SIMD2(cosf(p.bgAngle), sinf(p.bgAngle))
        let bn = Noise(seed: p.noise &+ 11)
        c.fill(.full, label: FaceClass.background, inside: { _, _ in true }, paint: { x, y, _ in
            let g = min(1, max(0, 0.5 + (x - 0.5) * dir.x + (y - 0.5) * dir.y))
            var col = mix(p.bgA, p.bgB, g)
            switch p.background {
            case .blotches:
                col *= 0.8 + 0.4 * bn.fbm(x, y, freq: 3, octaves: 3)
            case .bokeh:
                col *= 0.85 + 0.2 * bn.fbm(x, y, freq: 2, octaves: 2)
                for (ctr, r, light) in p.bgBlobs {
                    let d = ellipseField(SIMD2(x, y), ctr, r, r)
                    if d > 0 { col = mix(col, light, min(1, d * 3) * 0.6) }
                }
            case .panels:
                let stripe = hashUnit(UInt32(max(0, x * 7 + 3)), 3, p.noise)
                col *= 0.8 + 0.3 * stripe + 0.1 * sinf(x * 70) * bn.value(x * 3, y * 3)
            case .outdoor:
                let sky = mix(p.bgB, RGB(0.95, 0.97, 1), y * 0.3)
                let leaves = bn.fbm(x, y, freq: 5, octaves: 3)
                let m = smoothstep(0.35, 0.65, leaves + (y - 0.5) * 0.8)
                col = mix(sky, p.bgA * (0.6 + 0.8 * leaves), m)
            }
            return col
        })
    }

    func paintNeckAndCloth(_ c: inout Canvas) {
        let nx = -p.yaw * 0.15
        let nw = p.neckWidth
        draw(&c, -1, 0.2, 1, 4.5, FaceClass.neck, inside: { q in
            q.y > 0.3 && abs(q.x - nx) < nw * (1 + 0.12 * max(0, q.y - 1.5))
        }, paint: { q, _ in
            let shadow = 0.6 + 0.4 * smoothstep(0.9, 1.9, q.y)
            return p.skin * (0.9 * shadow * headShade(SIMD2(q.x, 0.4))) * p.tint
        })
        let sw = p.shoulderWidth
        let cn = Noise(seed: p.noise &+ 23)
        draw(&c, -3, 1.0, 3, 4.5, FaceClass.cloth, inside: { q in
            let du = q.x - nx
            let t = du / sw
            guard abs(t) < 1.3 else { return false }
            let top = 2.95 - 1.35 * max(0, 1 - t * t).squareRoot()
            guard q.y > (abs(t) < 1 ? top : 2.95) else { return false }
            switch p.neckline {
            case 0: return !inEllipse(q, SIMD2(nx, 1.6), nw * 1.2, 0.6)
            case 1: return !(q.y < 2.5 && abs(du) < (2.5 - q.y) * 0.55)
            default: return true
            }
        }, paint: { q, _ in
            let du = q.x - nx
            var col = p.cloth
            switch p.clothPattern {
            case 1: col = sinf(q.y * 9) > 0.2 ? p.cloth2 : p.cloth
            case 2: col = (sinf(q.y * 7) > 0) != (sinf(du * 7) > 0) ? p.cloth2 : p.cloth
            case 3: col = mix(p.cloth, p.cloth2, smoothstep(0.45, 0.6, cn.fbm(q.x, q.y, freq: 2.5, octaves: 2)))
            default: break
            }
            let folds = 0.8 + 0.35 * cn.fbm(q.x * 0.7, q.y * 2, freq: 2, octaves: 3)
            let side = 1 + 0.25 * p.lightStrength * p.light.x * max(-1, min(1, du / sw))
            let collar: Float = p.neckline == 2 && abs(du) < nw * 1.25 ? 1.1 : 1
            return col * folds * side * collar * p.tint
        })
    }

    func paintEars(_ c: inout Canvas) {
        for s: Float in [-1, 1] {
            let ctr = SIMD2(s * p.cheek * 0.97 - p.yaw * 0.45, p.eyeV + 0.14 + fv * 0.5)
            let rx = 0.16 * p.earSize, ry = 0.28 * p.earSize
            draw(&c, ctr.x - rx, ctr.y - ry, ctr.x + rx, ctr.y + ry, FaceClass.ear, inside: { q in
                inEllipse(q, ctr, rx, ry)
            }, paint: { q, _ in
                let inner = ellipseField(q, ctr + SIMD2(s * 0.03, 0.02), rx * 0.55, ry * 0.6)
                return p.skin * (0.88 * headShade(q) * (inner > 0 ? 0.78 : 1)) * p.tint
            })
        }
    }

    func paintNose(_ c: inout Canvas) {
        let v0 = p.eyeV + 0.06 + fv, v1 = p.noseBottom + fv, nw = p.noseWidth
        let centre: (Float) -> Float = { v in p.yaw * (0.3 + 0.25 * min(1, max(0, (v - v0) / (v1 - v0)))) }
        let tip = SIMD2(centre(v1), v1 - 0.03)
        draw(&c, -0.8, v0, 0.8, v1 + 0.1, FaceClass.nose, inside: { q in
            if inEllipse(q, tip, nw * 1.05, 0.075) { return true }
            guard q.y > v0, q.y < v1 else { return false }
            let t = (q.y - v0) / (v1 - v0)
            return abs(q.x - centre(q.y)) < 0.05 + (nw - 0.05) * t * t
        }, paint: { q, _ in
            let t = min(1, max(0, (q.y - v0) / (v1 - v0)))
            let side = (q.x - centre(q.y)) / (0.05 + (nw - 0.05) * t * t + 0.02)
            var col = skinColor(q) * (1 + 0.22 * p.lightStrength * p.light.x * max(-1, min(1, side)) * 2)
            col *= 1 + 0.08 * expf(-side * side * 6)
            for s: Float in [-1, 1] where inEllipse(q, tip + SIMD2(s * nw * 0.5, 0.035), 0.05, 0.028) {
                col *= 0.45
            }
            return col
        })
    }

    func paintMouth(_ c: inout Canvas) {
        let cm = fu, vm = p.mouthV + fv
        let w = p.mouthWidth * (1 - 0.3 * abs(p.yaw))
        let o = p.mouthOpen
        let mid: (Float) -> Float = { t in vm - p.smile * t * t + p.smile * 0.3 }
        func prof(_ q: SIMD2<Float>) -> (Float, Float)? {
            let t = (q.x - cm) / w
            guard abs(t) < 1 else { return nil }
            return (t, powf(1 - t * t, 0.7))
        }
        let box = (cm - w, vm - 0.4, cm + w, vm + 0.4)
        draw(&c, box.0, box.1, box.2, box.3, FaceClass.upperLip, inside: { q in
            guard let (t, pr) = prof(q) else { return false }
            let inner = mid(t) - o / 2 * pr
            let bow = 1 - 0.35 * expf(-t * t * 25)
            return q.y < inner && q.y > inner - p.upperLip * pr * bow - 0.004
        }, paint: { q, _ in p.lip * headShade(q) * 0.9 * p.tint })
        draw(&c, box.0, box.1, box.2, box.3, FaceClass.lowerLip, inside: { q in
            guard let (t, pr) = prof(q) else { return false }
            let inner = mid(t) + o / 2 * pr
            return q.y > inner && q.y < inner + p.lowerLip * pr + 0.004
        }, paint: { q, _ in
            let t = (q.x - cm) / w
            let hl = 1 + 0.15 * expf(-t * t * 6) * p.lightStrength * 2
            return p.lip * headShade(q) * hl * p.tint
        })
        if o > 0 {
            draw(&c, box.0, box.1, box.2, box.3, FaceClass.mouth, inside: { q in
                guard let (t, pr) = prof(q) else { return false }
                return abs(q.y - mid(t)) < o / 2 * pr
            }, paint: { q, _ in
                let t = (q.x - cm) / w
                if p.teeth && q.y < mid(t) - o * 0.05 && abs(t) < 0.75 { return RGB(0.86, 0.83, 0.76) * headShade(q) }
                return RGB(0.3, 0.08, 0.08)
            })
        } else {
            draw(&c, box.0, box.1, box.2, box.3, nil, inside: { q in
                guard let (t, _) = prof(q) else { return false }
                return abs(q.y - mid(t)) < 0.012
            }, paint: { _, under in under * 0.55 })
        }
    }

    func eyeCentre(_ s: Float) -> (SIMD2<Float>, Float) {
        let ws = 1 - 0.55 * max(0, s * p.yaw)
        return (SIMD2(s * p.eyeSpacing * (1 - 0.2 * abs(p.yaw)) + fu, p.eyeV + fv), ws)
    }

    func paintEyes(_ c: inout Canvas) {
        for s: Float in [-1, 1] {
            let (e, ws) = eyeCentre(s)
            let rx = p.eyeRx * ws, ry = p.eyeRy
            // socket shading (keeps the labels)
            drawSoft(&c, e.x - rx * 1.6, e.y - ry * 3, e.x + rx * 1.6, e.y + ry * 3, nil, field: { q in
                ellipseField(q, e + SIMD2(0, -ry * 0.5), rx * 1.5, ry * 2.6)
            }, paint: { _, under in under * 0.9 })
            func lid(_ q: SIMD2<Float>) -> (Float, Float)? {
                let t = (q.x - e.x) / rx
                guard abs(t) < 1 else { return nil }
                let vv = q.y - e.y + p.eyeTilt * t * s
                return (vv, ry * powf(1 - t * t, 0.6))
            }
            draw(&c, e.x - rx, e.y - ry * 2, e.x + rx, e.y + ry * 2, FaceClass.eye, inside: { q in
                guard let (vv, h) = lid(q) else { return false }
                return abs(vv) < h * (vv < 0 ? 1.15 : 0.9)
            }, paint: { q, _ in
                let (vv, h) = lid(q) ?? (0, 1)
                if vv < -h * 0.6 { return RGB(0.12, 0.08, 0.07) }
                let ic = SIMD2(e.x + p.gaze * ws + p.yaw * 0.03, e.y)
                let d = ellipseField(q, ic, ry * 1.25 * ws.squareRoot(), ry * 1.25)
                if d > 0.78 { return RGB(0.03, 0.03, 0.03) }
                if d > 0 { return p.iris * (0.7 + 0.5 * d) }
                return RGB(0.8, 0.77, 0.74) * headShade(q) * p.tint
            })
        }
    }

    func paintBrows(_ c: inout Canvas) {
        for s: Float in [-1, 1] {
            let (e, ws) = eyeCentre(s)
            let vb = e.y - p.browGap
            let a = SIMD2(e.x - s * 0.2 * ws, vb + 0.03)
            let m = SIMD2(e.x + s * 0.04 * ws, vb - p.browArch)
            let b = SIMD2(e.x + s * 0.26 * ws, vb + 0.05)
            let th = p.browThickness * 0.5
            draw(&c, e.x - 0.4, vb - 0.2, e.x + 0.4, vb + 0.2, FaceClass.brow, inside: { q in
                segmentDistance(q, a, m) < th || segmentDistance(q, m, b) < th * 0.7
            }, paint: { q, _ in
                p.brow * (0.75 + 0.5 * n.value(q.x * 40, q.y * 8)) * headShade(q)
            })
        }
    }

    func paintGlasses(_ c: inout Canvas) {
        let thick: Float = 0.045
        var lenses: [(SIMD2<Float>, Float, Float)] = []
        for s: Float in [-1, 1] {
            let (e, ws) = eyeCentre(s)
            lenses.append((e + SIMD2(0, 0.02), (p.eyeRx + 0.1) * ws, 0.17))
        }
        func shape(_ q: SIMD2<Float>, _ l: (SIMD2<Float>, Float, Float), grow: Float) -> Bool {
            let dx = abs(q.x - l.0.x) / (l.1 + grow), dy = abs(q.y - l.0.y) / (l.2 + grow)
            return p.glassesRound ? dx * dx + dy * dy < 1 : dx * dx * dx * dx + dy * dy * dy * dy < 1
        }
        for l in lenses {
            draw(&c, l.0.x - l.1 - 0.1, l.0.y - l.2 - 0.1, l.0.x + l.1 + 0.1, l.0.y + l.2 + 0.1, FaceClass.glasses,
                 inside: { q in shape(q, l, grow: thick / 2) }, paint: { q, under in
                if shape(q, l, grow: -thick / 2) {
                    let glint = max(0, 1 - abs((q.x - l.0.x) + (q.y - l.0.y) + 0.05) * 12) * 0.25
                    return p.sunglasses ? mix(under, gray(0.04), 0.88) + glint : mix(under, RGB(0.85, 0.92, 1), 0.12) + glint
                }
                return p.frameColor * headShade(q)
            })
        }
        let a = lenses[0], b = lenses[1]
        let ends: [(SIMD2<Float>, SIMD2<Float>)] = [
            (SIMD2(a.0.x + a.1, a.0.y - 0.04), SIMD2(b.0.x - b.1, b.0.y - 0.04)),
            (SIMD2(a.0.x - a.1, a.0.y - 0.06), SIMD2(-p.cheek - p.yaw * 0.45, a.0.y - 0.02)),
            (SIMD2(b.0.x + b.1, b.0.y - 0.06), SIMD2(p.cheek - p.yaw * 0.45, b.0.y - 0.02)),
        ]
        for (s, e) in ends {
            draw(&c, min(s.x, e.x) - 0.05, min(s.y, e.y) - 0.05, max(s.x, e.x) + 0.05, max(s.y, e.y) + 0.05,
                 FaceClass.glasses, inside: { q in segmentDistance(q, s, e) < thick * 0.45 },
                 paint: { q, _ in p.frameColor * headShade(q) })
        }
    }

    func paintHat(_ c: inout Canvas, _ style: HatStyle) {
        let hn = Noise(seed: p.noise &+ 37)
        let vol = max(1.05, p.hairVolume)
        let shade: (SIMD2<Float>) -> Float = { q in (0.85 + 0.25 * hn.fbm(q.x, q.y, freq: 4, octaves: 2)) * headShade(q) }
        switch style {
        case .beanie:
            let band = p.hairline + 0.2
            draw(&c, -1.6, -2.2, 1.6, band, FaceClass.hat, inside: { q in
                q.y < band && inEllipse(q, SIMD2(hx, -0.3), 1.1 * vol, p.topRadius * 1.08)
            }, paint: { q, _ in
                let rib = 0.85 + 0.2 * sinf((q.x - hx) * 45)
                let col = q.y > band - 0.25 ? p.hatColor * 1.15 : p.hatColor
                return col * rib * shade(q)
            })
        case .brimmed:
            let base = p.hairline - 0.05
            draw(&c, -1, base - 1.2, 1, base + 0.02, FaceClass.hat, inside: { q in
                let dx = abs(q.x - hx) / 0.88, dy = (q.y - (base - 0.55)) / 0.62
                return q.y < base && (dy > 0 ? dx < 1 : dx * dx * dx * dx + dy * dy * dy * dy < 1)
            }, paint: { q, _ in (q.y > base - 0.22 ? p.hatColor2 : p.hatColor) * shade(q) })
            draw(&c, -2.2, base - 0.4, 2.2, base + 0.4, FaceClass.hat, inside: { q in
                inEllipse(q, SIMD2(hx, base), 1.85, 0.22)
            }, paint: { q, _ in p.hatColor * 0.85 * shade(q) })
        case .cap:
            let base = p.hairline + 0.1
            draw(&c, -1.5, -2.2, 1.5, base + 0.02, FaceClass.hat, inside: { q in
                q.y < base && inEllipse(q, SIMD2(hx, base), 1.1 * vol, base + p.topRadius + 0.15)
            }, paint: { q, _ in p.hatColor * shade(q) })
            let visor = SIMD2(hx + p.yaw * 0.5, base + 0.02)
            draw(&c, -1.5, base - 0.3, 1.5, base + 0.3, FaceClass.hat, inside: { q in
                q.y > base - 0.04 && inEllipse(q, visor, 0.95, 0.22)
            }, paint: { q, _ in p.hatColor2 * 0.8 * shade(q) })
        }
    }
}
