/// Errors raised by LGModelIO.
///
/// Every reader in this module bounds-checks what it reads: a corrupt,
/// truncated or unsupported file gives one of these errors, never a crash.
/// Each message says what was met and what to do about it.
public enum ModelIOError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file could not be opened or read.
    case unreadable(path: String, reason: String)
    /// The file could not be written.
    case unwritable(path: String, reason: String)
    /// The bytes ran out while reading `what` (e.g. "ZIP central directory").
    case truncated(what: String, offset: Int, needed: Int, available: Int)
    /// A ZIP archive is malformed.
    case corruptZip(String)
    /// A named ZIP entry is not in the archive.
    case missingEntry(name: String, available: [String])
    /// A ZIP entry uses a compression method other than stored/deflate.
    case unsupportedCompression(entry: String, method: Int)
    /// zlib reported an error.
    case zlib(what: String, code: Int32)
    /// A pickle stream is malformed.
    case corruptPickle(offset: Int, detail: String)
    /// A pickle opcode this safe unpickler does not implement.
    case unknownOpcode(byte: UInt8, offset: Int)
    /// A pickle global that is not on the allow list.
    case unsupportedGlobal(name: String, file: String)
    /// The file is not a PyTorch checkpoint.
    case notATorchFile(path: String, firstBytes: String)
    /// The pre-2017 tar-based torch.save format.
    case legacyTarFormat(path: String)
    /// The unpickled structure is not what a plain tensor checkpoint holds.
    case unsupportedStructure(String)
    /// A tensor refers to a storage the file does not contain.
    case missingStorage(key: String)
    /// A storage holds fewer bytes than its record says.
    case truncatedStorage(key: String, expectedBytes: Int, availableBytes: Int)
    /// A tensor's shape/strides/offset reach past the end of its storage.
    case storageTooSmall(shape: [Int], strides: [Int], offset: Int, neededElements: Int, availableElements: Int)
    /// A safetensors file is malformed.
    case corruptSafetensors(String)
    /// An .npy file is malformed or uses an unsupported layout.
    case corruptNPY(String)
    /// A PNG file is malformed or uses an unsupported layout.
    case corruptPNG(String)
    /// A caller passed arguments that cannot be encoded.
    case invalidArgument(String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "cannot read '\(path)': \(reason). Check the path and the file's permissions."
        case let .unwritable(path, reason):
            return "cannot write '\(path)': \(reason). Check that the folder exists and is writable and the disk has space."
        case let .truncated(what, offset, needed, available):
            return "\(what) is truncated: needed \(needed) byte(s) at offset \(offset) but only \(max(0, available - offset)) remain. The file is incomplete or corrupt; copy or download it again."
        case let .corruptZip(detail):
            return "corrupt ZIP archive: \(detail). The file is damaged or not a ZIP archive; copy or download it again."
        case let .missingEntry(name, available):
            let list = available.prefix(8).joined(separator: ", ") + (available.count > 8 ? ", ..." : "")
            return "the archive has no entry '\(name)' (entries: \(list)). The file is not the kind of archive expected or it is damaged."
        case let .unsupportedCompression(entry, method):
            return "ZIP entry '\(entry)' uses compression method \(method); only stored (0) and deflate (8) can be read. Re-save the file with torch.save or a standard zip tool."
        case let .zlib(what, code):
            return "zlib failed while \(what) (code \(code)). The compressed data is corrupt; copy or download the file again."
        case let .corruptPickle(offset, detail):
            return "corrupt pickle at byte \(offset): \(detail). The checkpoint is damaged or was not written by torch.save."
        case let .unknownOpcode(byte, offset):
            let hex = String(byte, radix: 16)
            let ch = (byte >= 0x20 && byte < 0x7f) ? " '\(Character(Unicode.Scalar(byte)))'" : ""
            return "unsupported pickle opcode 0x\(hex.count < 2 ? "0" + hex : hex)\(ch) at byte \(offset). Only the opcodes torch.save emits for plain tensors, dicts, lists and numbers are read; re-save the checkpoint as a plain state_dict."
        case let .unsupportedGlobal(name, file):
            return "unsupported global '\(name)' in \(file): only plain tensors, dicts, lists and numbers can be read. Re-save with torch.save(model.state_dict()) (tensors only) or convert the file to safetensors."
        case let .notATorchFile(path, firstBytes):
            return "'\(path)' is not a PyTorch checkpoint (it starts with \(firstBytes)); expected a ZIP archive from torch.save or the legacy pickle stream. Check that the right file was given."
        case let .legacyTarFormat(path):
            return "'\(path)' uses the tar-based torch.save format from before PyTorch 0.4, which cannot be read. Load it with an old PyTorch and re-save it with a current torch.save."
        case let .unsupportedStructure(detail):
            return "unsupported checkpoint content: \(detail). Re-save the checkpoint with plain tensors, dicts, lists and numbers (e.g. a state_dict)."
        case let .missingStorage(key):
            return "a tensor refers to storage '\(key)', which is not in the file. The checkpoint is incomplete or damaged; save it again."
        case let .truncatedStorage(key, expected, available):
            return "storage '\(key)' should hold \(expected) bytes but only \(available) are present. The checkpoint is truncated or damaged; copy or save it again."
        case let .storageTooSmall(shape, strides, offset, needed, available):
            return "a tensor of shape \(shape), strides \(strides), storage offset \(offset) needs \(needed) storage elements but its storage holds \(available). The checkpoint is damaged or inconsistent; save it again."
        case let .corruptSafetensors(detail):
            return "corrupt safetensors file: \(detail). The file is damaged or not a safetensors file; write or download it again."
        case let .corruptNPY(detail):
            return "cannot read .npy: \(detail). Save the array with numpy.save as a C-ordered little-endian float/int/bool array."
        case let .corruptPNG(detail):
            return "cannot read PNG: \(detail). Supply an 8-bit, non-interlaced gray, RGB, RGBA or palette PNG."
        case let .invalidArgument(detail):
            return "invalid argument: \(detail)."
        }
    }
}
