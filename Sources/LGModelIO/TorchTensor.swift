/// Raw tensors as stored in model files: a dtype, a shape, strides, a storage
/// offset and the little-endian bytes of the whole storage.
///
/// `TorchTensor` is what `TorchFile`, `Safetensors.readRaw` and `NPY.readRaw`
/// produce. Its initialiser checks that shape, strides and offset stay inside
/// the storage, so `floatTensor()` and `intValues()` never read out of bounds;
/// they honour the storage offset and arbitrary (non-contiguous) strides.
import LGTensor

/// Element types of stored tensors.
public enum TorchDType: String, Sendable, CaseIterable {
    case float32, float64, float16, bfloat16, int64, int32, int16, int8, uint8, bool

    /// Bytes per element.
    public var elementSize: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16, .int16: return 2
        case .int8, .uint8, .bool: return 1
        }
    }

    public var isFloatingPoint: Bool {
        switch self {
        case .float32, .float64, .float16, .bfloat16: return true
        default: return false
        }
    }

    /// The dtype of a PyTorch storage class name such as "FloatStorage" (nil if unknown).
    public init?(storageClass name: String) {
        switch name {
        case "FloatStorage": self = .float32
        case "DoubleStorage": self = .float64
        case "HalfStorage": self = .float16
        case "BFloat16Storage": self = .bfloat16
        case "LongStorage": self = .int64
        case "IntStorage": self = .int32
        case "ShortStorage": self = .int16
        case "CharStorage": self = .int8
        case "ByteStorage", "UntypedStorage": self = .uint8
        case "BoolStorage": self = .bool
        default: return nil
        }
    }

    /// The dtype of a `torch.<name>` dtype attribute such as "float32" or "long" (nil if unknown).
    public init?(torchName name: String) {
        switch name {
        case "float32", "float": self = .float32
        case "float64", "double": self = .float64
        case "float16", "half": self = .float16
        case "bfloat16": self = .bfloat16
        case "int64", "long": self = .int64
        case "int32", "int": self = .int32
        case "int16", "short": self = .int16
        case "int8": self = .int8
        case "uint8": self = .uint8
        case "bool": self = .bool
        default: return nil
        }
    }
}

/// A tensor as stored in a file: metadata plus the raw little-endian storage bytes.
public struct TorchTensor: Sendable {
    public let dtype: TorchDType
    public let shape: [Int]
    /// Strides in elements.
    public let strides: [Int]
    /// Offset of element [0, 0, ...] into the storage, in elements.
    public let storageOffset: Int
    /// The raw little-endian bytes of the whole storage (shared, not copied, between views).
    public let storage: [UInt8]

    /// Creates a tensor view over `storage`, checking that every element lies inside it.
    /// - Parameter strides: nil for row-major contiguous strides.
    public init(dtype: TorchDType, shape: [Int], strides: [Int]? = nil, storageOffset: Int = 0, storage: [UInt8]) throws {
        let st = strides ?? TorchTensor.contiguousStrides(shape)
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw ModelIOError.unsupportedStructure("tensor shape \(shape) has a negative dimension")
        }
        guard st.count == shape.count else {
            throw ModelIOError.unsupportedStructure("tensor shape \(shape) and strides \(st) differ in length")
        }
        guard storageOffset >= 0 else {
            throw ModelIOError.unsupportedStructure("tensor storage offset \(storageOffset) is negative")
        }
        var count = 1
        for d in shape {
            let (c, o) = count.multipliedReportingOverflow(by: d)
            guard !o, c <= Int(Int32.max) * 64 else {
                throw ModelIOError.unsupportedStructure("tensor shape \(shape) holds too many elements")
            }
            count = c
        }
        let available = storage.count / dtype.elementSize
        if count > 0 {
            var last = storageOffset
            for (d, s) in zip(shape, st) {
                guard s >= 0 else {
                    throw ModelIOError.unsupportedStructure("tensor strides \(st) contain a negative stride")
                }
                let (m, o1) = (d - 1).multipliedReportingOverflow(by: s)
                let (a, o2) = last.addingReportingOverflow(m)
                guard !o1, !o2 else {
                    throw ModelIOError.storageTooSmall(shape: shape, strides: st, offset: storageOffset, neededElements: Int.max, availableElements: available)
                }
                last = a
            }
            guard last < available else {
                throw ModelIOError.storageTooSmall(shape: shape, strides: st, offset: storageOffset, neededElements: last + 1, availableElements: available)
            }
        }
        self.dtype = dtype
        self.shape = shape
        self.strides = st
        self.storageOffset = storageOffset
        self.storage = storage
    }

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// Row-major strides for a shape.
    public static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var st = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) {
            st[i] = acc
            acc = acc &* max(shape[i], 1)
        }
        return st
    }

    /// True when the elements are row-major and packed (dimensions of size 1 may have any stride).
    public var isContiguous: Bool {
        var expected = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) where shape[i] != 1 {
            if strides[i] != expected { return false }
            expected *= shape[i]
        }
        return true
    }

    /// Maps every storage element index, in row-major order of `shape`.
    func mapIndices<R>(_ f: (Int) -> R) -> [R] {
        let n = count
        if n == 0 { return [] }
        if isContiguous { return (storageOffset..<(storageOffset + n)).map(f) }
        var out: [R] = []
        out.reserveCapacity(n)
        var idx = [Int](repeating: 0, count: shape.count)
        var pos = storageOffset
        let r = shape.count
        for _ in 0..<n {
            out.append(f(pos))
            var d = r - 1
            while d >= 0 {
                idx[d] += 1
                pos += strides[d]
                if idx[d] < shape[d] { break }
                pos -= strides[d] * shape[d]
                idx[d] = 0
                d -= 1
            }
        }
        return out
    }

    /// The values as Float, row-major (any dtype; half and bfloat16 by bit conversion).
    public func floatValues() -> [Float] {
                let es = dtype.elementSize
        return storage.withUnsafeBytes { raw -> [Float] in
            func load<T: FixedWidthInteger>(_: T.Type, _ i: Int) -> T {
                T(littleEndian: raw.loadUnaligned(fromByteOffset: i * es, as: T.self))
            }
            switch dtype {
            case .float32: return mapIndices { Float(bitPattern: load(UInt32.self, $0)) }
            case .float64: return mapIndices { Float(Double(bitPattern: load(UInt64.self, $0))) }
            case .float16: return mapIndices { halfToFloat(load(UInt16.self, $0)) }
            case .bfloat16: return mapIndices { Float(bitPattern: UInt32(load(UInt16.self, $0)) << 16) }
            case .int64: return mapIndices { Float(load(Int64.self, $0)) }
            case .int32: return mapIndices { Float(load(Int32.self, $0)) }
            case .int16: return mapIndices { Float(load(Int16.self, $0)) }
            case .int8: return mapIndices { Float(load(Int8.self, $0)) }
            case .uint8: return mapIndices { Float(load(UInt8.self, $0)) }
            case .bool: return mapIndices { load(UInt8.self, $0) != 0 ? 1 : 0 }
            }
        }
    }

    /// The tensor converted to a contiguous Float32 `Tensor` of the same shape.
    public func floatTensor() -> Tensor {
        Tensor(shape: shape, data: floatValues())
    }

    /// The values as Int, row-major. Integer and bool dtypes are exact; floating
    /// values are truncated toward zero (NaN gives 0, infinities saturate).
    public func intValues() -> [Int] {
                let es = dtype.elementSize
        if dtype.isFloatingPoint {
            return floatValuesAsDouble().map { d -> Int in
                if d.isNaN { return 0 }
                if d >= 9.2e18 { return Int.max }
                if d <= -9.2e18 { return Int.min }
                return Int(d)
            }
        }
        return storage.withUnsafeBytes { raw -> [Int] in
            func load<T: FixedWidthInteger>(_: T.Type, _ i: Int) -> T {
                T(littleEndian: raw.loadUnaligned(fromByteOffset: i * es, as: T.self))
            }
            switch dtype {
            case .int64: return mapIndices { Int(load(Int64.self, $0)) }
            case .int32: return mapIndices { Int(load(Int32.self, $0)) }
            case .int16: return mapIndices { Int(load(Int16.self, $0)) }
            case .int8: return mapIndices { Int(load(Int8.self, $0)) }
            case .uint8: return mapIndices { Int(load(UInt8.self, $0)) }
            case .bool: return mapIndices { load(UInt8.self, $0) != 0 ? 1 : 0 }
            default: return []
            }
        }
    }

    private func floatValuesAsDouble() -> [Double] {
        if dtype == .float64 {
            return storage.withUnsafeBytes { raw in
                mapIndices { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))) }
            }
        }
        return floatValues().map(Double.init)
    }

    /// The single value of a one-element tensor as Double (nil otherwise).
    public var scalarValue: Double? {
        guard count == 1 else { return nil }
        if dtype.isFloatingPoint { return floatValuesAsDouble().first }
        return intValues().first.map(Double.init)
    }
}

extension TorchTensor: CustomStringConvertible {
    public var description: String { "TorchTensor(\(dtype), shape: \(shape))" }
}

/// IEEE half (binary16) bits to Float.
@inline(__always)
func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h & 0x8000) << 16
    let exp = Int((h >> 10) & 0x1f)
    let mant = UInt32(h & 0x3ff)
    if exp == 0 {
        // zero or subnormal: mant * 2^-24
        let v = Float(mant) * Float(bitPattern: 0x3380_0000) // 2^-24
        return sign != 0 ? -v : v
    }
    if exp == 31 {
        return Float(bitPattern: sign | 0x7f80_0000 | (mant << 13))
    }
    return Float(bitPattern: sign | (UInt32(exp - 15 + 127) << 23) | (mant << 13))
}
