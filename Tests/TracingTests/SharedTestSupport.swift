// The shared process helpers (ChainProcess, eventually, ManualClock) for every file of this target:
// the tracer tests that drive a whole server use them without importing the module one by one.
@_exported import ChainTestSupport
