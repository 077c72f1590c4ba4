// A trained extractor's label sheet: for a few fresh samples, the image,
// the predictor's labels and the extractor's labels side by side, one
// sample per row (PNG). Written beside the extractor and handed to the
// queue (the dashboard's job page shows it).
import Foundation
import LGTensor
import LGModels
import LGModelIO
import LGSemantics

public enum LabelSheet {
    /// The file name under which jobs keep it.
    public static let fileName = "label_sheet.png"

    /// `samples` rows of image | predictor labels | extractor labels, each
    /// tile `tile` px (the label resolution, at most 256), drawn from the
    /// seed's own "sheet" stream (the job's results do not depend on it).
    public static func render(extractor se: any SemanticExtractor, models: JobModels, seed: UInt64, strategy: LatentStrategy,
                              samples: Int = 4) throws -> [UInt8] {
        var rng = RandomStreams.make(seed, "sheet")
        let t = min(256, models.labelResolution), pad = 2, classes = models.classNames.count
        let width = 3 * t + 4 * pad, height = samples * t + (samples + 1) * pad
        var px = [UInt8](repeating: 255, count: width * height * 3)
        let palette = ImageSheet.labelPalette(classes)
        for row in 0..<samples {
            let (image, features) = models.sample(strategy: strategy, rng: &rng)
            let truth = models.labels(image)
            let predicted = try se.predict(features, size: models.labelResolution)
            let oy = pad + row * (t + pad)
            // The image, nearest-sampled to the tile.
            let (h, w) = (image.shape[2], image.shape[3])
            let d = image.data
            for y in 0..<t {
                for x in 0..<t {
                    let sy = y * h / t, sx = x * w / t
                    for c in 0..<3 {
                        px[((oy + y) * width + pad + x) * 3 + c] = ImageSheet.toByte(d[(c * h + sy) * w + sx])
                    }
                }
            }
            for (col, labels) in [(1, truth), (2, predicted)] {
                let lh = labels.shape[labels.shape.count - 2], lw = labels.shape[labels.shape.count - 1]
                let ox = pad + col * (t + pad)
                for y in 0..<t {
                    for x in 0..<t {
                        let l = Int(labels.data[(y * lh / t) * lw + x * lw / t])
                        let (r, g, b) = l >= 0 && l < palette.count ? palette[l] : (255, 255, 255)
                        let o = ((oy + y) * width + ox + x) * 3
                        px[o] = r; px[o + 1] = g; px[o + 2] = b
                    }
                }
            }
        }
        return try PNG.encodeRGB(width: width, height: height, pixels: px)
    }
}

extension JobSession {
    /// Renders the sheet, writes it into `folder` when given and hands it
    /// to the context; a failure is logged, never the job's failure.
    func writeLabelSheet(_ se: any SemanticExtractor, models: JobModels, seed: UInt64, strategy: LatentStrategy, folder: URL?) {
        do {
            let png = Data(try LabelSheet.render(extractor: se, models: models, seed: seed, strategy: strategy))
            if let folder { try png.write(to: folder.appendingPathComponent(LabelSheet.fileName), options: .atomic) }
            try context.saveArtifact?(LabelSheet.fileName, png)
        } catch {
            context.log("label sheet not written: \(error)")
        }
    }
}
