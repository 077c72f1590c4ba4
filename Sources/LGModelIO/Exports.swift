// zlib, PNG and ModelIOError live in the light LGCodec target (the
// collector draws PNG figures with them); they stay part of LGModelIO's API.
@_exported import LGCodec
