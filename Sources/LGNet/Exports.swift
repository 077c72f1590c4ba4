// The digest helpers are part of LGNet's surface (frames carry SHA-256 hex).
@_exported import LGDigest
