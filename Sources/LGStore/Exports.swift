// The wire values (LGWire) are part of the store's API: its callers see them
// through this import.
@_exported import LGWire
