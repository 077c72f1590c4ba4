// The model registry (names to files, configs/) lives in the light LGCatalog
// target so the coordinator can check weights without numeric code; every
// importer of LGJobs sees it as before.
@_exported import LGCatalog
