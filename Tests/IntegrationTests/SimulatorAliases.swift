import UpstreamSimulator

// The simulator's model types share names with QuotaCore's, and its module shares its name with
// its main type, so `UpstreamSimulator.ModelQuota` cannot be written. This file imports only the
// simulator, where these names are unambiguous.

/// The simulator's scripted quota of one model.
typealias SimQuota = ModelQuota
